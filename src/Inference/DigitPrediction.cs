using MnistCnn.Core.Imaging;

namespace MnistCnn.Core.Inference;

/// <summary>What the classifier recognised in one image.</summary>
public sealed class DigitPrediction
{
    private readonly float[] _probabilities;

    internal DigitPrediction(float[] probabilities, PreprocessedDigit? input = null)
    {
        _probabilities = probabilities;
        Input = input;
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

    /// <summary>The 28 x 28 image the model saw, when the prediction was made from an image; null for raw pixel buffers.</summary>
    public PreprocessedDigit? Input { get; }

    /// <summary>The recognised digit, 0 to 9.</summary>
    public int Digit { get; }

    /// <summary>The softmax probability of <see cref="Digit"/>, in [0, 1].</summary>
    public float Confidence => _probabilities[Digit];

    /// <summary>The softmax probability of each digit 0 to 9; they sum to 1.</summary>
    public IReadOnlyList<float> Probabilities => _probabilities;

    internal float[] ProbabilityArray => _probabilities;

    /// <inheritdoc/>
    public override string ToString() => $"{Digit} ({Confidence:P1})";
}
