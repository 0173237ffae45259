using MnistCnn.Core.Data;

namespace MnistCnn.Core.Inference;

/// <summary>How a classifier did on a labelled dataset: accuracy, confusion matrix and the images it got wrong.</summary>
public sealed class DigitEvaluation
{
    private readonly int[] _labels;
    private readonly int[,] _confusion;

    internal DigitEvaluation(int[] labels, IReadOnlyList<DigitPrediction> predictions)
    {
        _labels = labels;
        Predictions = predictions;
        _confusion = new int[MnistFormat.ClassCount, MnistFormat.ClassCount];
        var wrong = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            int predicted = predictions[i].Digit;
            _confusion[labels[i], predicted]++;
            if (predicted != labels[i])
            {
                wrong.Add(i);
            }
        }
        Misclassified = wrong;
    }

    /// <summary>Number of images evaluated.</summary>
    public int Count => _labels.Length;

    /// <summary>Number of images whose digit was recognised correctly.</summary>
    public int Correct => Count - Misclassified.Count;

    /// <summary>Fraction of images recognised correctly, in [0, 1].</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;

    /// <summary>The prediction for each image, in dataset order.</summary>
    public IReadOnlyList<DigitPrediction> Predictions { get; }

    /// <summary>The indexes of the images whose digit was not recognised, in dataset order.</summary>
    public IReadOnlyList<int> Misclassified { get; }

    /// <summary>The true label of image <paramref name="index"/>.</summary>
    public int LabelOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _labels[index];
    }

    /// <summary>How many images of digit <paramref name="trueDigit"/> were recognised as <paramref name="predictedDigit"/>.</summary>
    public int Confusion(int trueDigit, int predictedDigit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trueDigit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(trueDigit, MnistFormat.ClassCount);
        ArgumentOutOfRangeException.ThrowIfNegative(predictedDigit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(predictedDigit, MnistFormat.ClassCount);
        return _confusion[trueDigit, predictedDigit];
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Accuracy:P2} ({Correct} of {Count})";
}
