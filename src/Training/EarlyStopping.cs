namespace MnistCnn.Core.Training;

/// <summary>Stops training when the monitored metric has not improved by more than MinDelta for Patience epochs.</summary>
public sealed class EarlyStopping : IEpochCallback
{
    private readonly MonitorState _state;

    /// <summary>Watches <paramref name="monitor"/> (default: test accuracy, patience 3).</summary>
    public EarlyStopping(MetricMonitor? monitor = null)
    {
        Monitor = monitor ?? new MetricMonitor();
        _state = new MonitorState(Monitor);
    }

    /// <summary>What is monitored.</summary>
    public MetricMonitor Monitor { get; }

    /// <summary>The epoch at which this callback asked to stop, or null.</summary>
    public int? StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_state.Update(context.Metrics) && _state.EpochsWithoutImprovement >= Monitor.Patience)
        {
            StoppedEpoch = context.Epoch;
            context.RequestStop($"early stopping: {Monitor.Metric} has not improved by more than {Monitor.MinDelta} for {_state.EpochsWithoutImprovement} epochs (best {_state.Best:0.######} at epoch {_state.BestEpoch})");
        }
    }
}
