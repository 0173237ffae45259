namespace MnistCnn.Core.Training;

/// <summary>What one epoch measured. Accuracies are fractions in [0, 1]; losses are mean cross-entropy per image.</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="TrainAccuracy">Fraction of training images classified correctly during the epoch.</param>
/// <param name="TestLoss">Mean loss on the test set after the epoch.</param>
/// <param name="TestAccuracy">Fraction of test images classified correctly after the epoch.</param>
/// <param name="Duration">Wall time of the epoch, training and evaluation.</param>
/// <param name="TrainImages">Number of training images seen in the epoch.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, TimeSpan Duration, int TrainImages)
{
    /// <summary>Training images per second of wall time over the whole epoch.</summary>
    public double ImagesPerSecond => Duration > TimeSpan.Zero ? TrainImages / Duration.TotalSeconds : 0;

    /// <summary>The value of <paramref name="metric"/>.</summary>
    public double Get(TrainingMetric metric) => metric switch
    {
        TrainingMetric.TrainLoss => TrainLoss,
        TrainingMetric.TrainAccuracy => TrainAccuracy,
        TrainingMetric.TestLoss => TestLoss,
        TrainingMetric.TestAccuracy => TestAccuracy,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };
}
