using MnistCnn.Core.Model;

namespace MnistCnn.Core.Training;

/// <summary>Stops training when the monitored metric has not improved by more than MinDelta for <see cref="Patience"/> epochs.</summary>
public sealed class EarlyStopping : IEpochCallback
{
    private readonly MonitorState _state;

    /// <summary>Watches <paramref name="monitor"/> (default: test accuracy) and stops after <paramref name="patience"/> epochs without improvement.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="patience"/> is negative, or the monitor is invalid.</exception>
    public EarlyStopping(MetricMonitor? monitor = null, int patience = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        Monitor = monitor ?? new MetricMonitor();
        Patience = patience;
        _state = new MonitorState(Monitor);
    }

    /// <summary>What is monitored.</summary>
    public MetricMonitor Monitor { get; }

    /// <summary>Epochs without improvement tolerated before training stops. Default 3.</summary>
    public int Patience { get; }

    /// <summary>The epoch at which this callback asked to stop in the last training run, or null.</summary>
    public int? StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public void OnTrainingBegin(MnistCnnModule model, TrainerOptions options)
    {
        _state.Reset();
        StoppedEpoch = null;
    }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_state.Update(context.Metrics) && _state.EpochsWithoutImprovement >= Patience)
        {
            StoppedEpoch = context.Epoch;
            context.RequestStop($"early stopping: {Monitor.Metric} has not improved by more than {Monitor.MinDelta} for {_state.EpochsWithoutImprovement} epochs (best {_state.Best:0.######} at epoch {_state.BestEpoch})");
        }
    }
}
