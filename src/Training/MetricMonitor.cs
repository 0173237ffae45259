namespace MnistCnn.Core.Training;

/// <summary>
/// The one idea shared by best-model tracking, early stopping and checkpoints: which metric to watch, which direction
/// is better, and how much change counts as an improvement. How long to wait for one is <see cref="EarlyStopping.Patience"/>.
/// </summary>
/// <param name="Metric">The metric to watch. Default <see cref="TrainingMetric.TestAccuracy"/>.</param>
/// <param name="Mode">Which direction is better. Default <see cref="MonitorMode.Auto"/>.</param>
/// <param name="MinDelta">The smallest change that counts as an improvement. Default 0.</param>
public sealed record MetricMonitor(TrainingMetric Metric = TrainingMetric.TestAccuracy, MonitorMode Mode = MonitorMode.Auto, double MinDelta = 0)
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
