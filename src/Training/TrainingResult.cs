namespace MnistCnn.Core.Training;

/// <summary>What <see cref="Trainer.Fit"/> measured.</summary>
public sealed class TrainingResult
{
    internal TrainingResult(IReadOnlyList<EpochMetrics> history, bool cancelled, string? stopReason, TimeSpan duration)
    {
        History = history;
        Cancelled = cancelled;
        StopReason = stopReason;
        Duration = duration;
        BestEpoch = history.Count == 0 ? null : history.MaxBy(m => m.TestAccuracy);
    }

    /// <summary>One entry per completed epoch, in order.</summary>
    public IReadOnlyList<EpochMetrics> History { get; }

    /// <summary>The first epoch with the highest test accuracy, or null if no epoch completed.</summary>
    public EpochMetrics? BestEpoch { get; }

    /// <summary>The highest test accuracy of any epoch (a fraction), or 0 if no epoch completed.</summary>
    public double BestTestAccuracy => BestEpoch?.TestAccuracy ?? 0;

    /// <summary>True when the cancellation token stopped training; <see cref="History"/> holds the epochs completed before.</summary>
    public bool Cancelled { get; }

    /// <summary>Why a callback stopped training early, or null.</summary>
    public string? StopReason { get; }

    /// <summary>Total wall time of <see cref="Trainer.Fit"/>.</summary>
    public TimeSpan Duration { get; }
}
