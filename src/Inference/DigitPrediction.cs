namespace MnistCnn.Core.Inference;

/// <summary>What the classifier recognised in one image.</summary>
public sealed class DigitPrediction
{
    private readonly float[] _probabilities;

    internal DigitPrediction(float[] probabilities)
    {
        _probabilities = probabilities;
        int best = 0;
        for (int i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[best])
            {
                best = i;
            }
        }
        Digit = best;
    }

    /// <summary>The recognised digit, 0 to 9.</summary>
    public int Digit { get; }

    /// <summary>The softmax probability of <see cref="Digit"/>, in [0, 1].</summary>
    public float Confidence => _probabilities[Digit];

    /// <summary>The softmax probability of each digit 0 to 9; they sum to 1.</summary>
    public IReadOnlyList<float> Probabilities => _probabilities;

    /// <inheritdoc/>
    public override string ToString() => $"{Digit} ({Confidence:P1})";
}
