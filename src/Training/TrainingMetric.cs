namespace MnistCnn.Core.Training;

/// <summary>A metric a callback can monitor.</summary>
public enum TrainingMetric
{
    /// <summary><see cref="EpochMetrics.TestAccuracy"/> (higher is better).</summary>
    TestAccuracy,

    /// <summary><see cref="EpochMetrics.TestLoss"/> (lower is better).</summary>
    TestLoss,

    /// <summary><see cref="EpochMetrics.TrainAccuracy"/> (higher is better).</summary>
    TrainAccuracy,

    /// <summary><see cref="EpochMetrics.TrainLoss"/> (lower is better).</summary>
    TrainLoss,
}
