namespace MnistCnn.Core.Training;

/// <summary>Whether a smaller or a larger value of the monitored metric is better.</summary>
public enum MonitorMode
{
    /// <summary>Decided by the metric: accuracies are maximised, losses minimised.</summary>
    Auto,

    /// <summary>Smaller is better.</summary>
    Min,

    /// <summary>Larger is better.</summary>
    Max,
}

/// <summary>
/// The one idea shared by best-model tracking, early stopping and checkpoints: which metric to watch, which direction
/// is better, how much change counts as an improvement, and how many epochs without one to tolerate.
/// </summary>
/// <param name="Metric">The metric to watch. Default <see cref="TrainingMetric.TestAccuracy"/>.</param>
/// <param name="Mode">Which direction is better. Default <see cref="MonitorMode.Auto"/>.</param>
/// <param name="MinDelta">The smallest change that counts as an improvement. Default 0.</param>
/// <param name="Patience">Epochs without improvement tolerated before early stopping. Default 3.</param>
public sealed record MetricMonitor(TrainingMetric Metric = TrainingMetric.TestAccuracy, MonitorMode Mode = MonitorMode.Auto, double MinDelta = 0, int Patience = 3)
{
    /// <summary>True when larger values are better.</summary>
    public bool Maximize => Mode switch
    {
        MonitorMode.Max => true,
        MonitorMode.Min => false,
        _ => Metric is TrainingMetric.TestAccuracy or TrainingMetric.TrainAccuracy,
    };

    internal void Validate()
    {
        if (!double.IsFinite(MinDelta) || MinDelta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "MinDelta must be zero or a positive finite number.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(Patience, nameof(Patience));
        if (!Enum.IsDefined(Metric))
        {
            throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown metric.");
        }
        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Unknown mode.");
        }
    }
}

/// <summary>Tracks the best value of a monitored metric and the epochs since it improved.</summary>
internal sealed class MonitorState
{
    private readonly MetricMonitor _monitor;

    public MonitorState(MetricMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        monitor.Validate();
        _monitor = monitor;
    }

    public double? Best { get; private set; }

    public int BestEpoch { get; private set; }

    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>Records an epoch; returns true when it improved on the best by more than MinDelta.</summary>
    public bool Update(EpochMetrics metrics)
    {
        double value = metrics.Get(_monitor.Metric);
        bool improved = Best is not double best
            || (_monitor.Maximize ? value > best + _monitor.MinDelta : value < best - _monitor.MinDelta);
        if (improved)
        {
            Best = value;
            BestEpoch = metrics.Epoch;
            EpochsWithoutImprovement = 0;
        }
        else
        {
            EpochsWithoutImprovement++;
        }
        return improved;
    }
}
