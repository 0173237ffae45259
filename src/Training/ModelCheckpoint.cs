using MnistCnn.Core.Model;

namespace MnistCnn.Core.Training;

/// <summary>
/// Saves the model to a file after an epoch: only when the monitored metric improves (the default), or every epoch.
/// Each save goes to a temporary file that is renamed over the target, so the file is always a complete model.
/// </summary>
public sealed class ModelCheckpoint : IEpochCallback
{
    private readonly MonitorState _state;

    /// <summary>Saves to <paramref name="path"/>, watching <paramref name="monitor"/> (default: test accuracy).</summary>
    public ModelCheckpoint(string path, MetricMonitor? monitor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        Monitor = monitor ?? new MetricMonitor();
        _state = new MonitorState(Monitor);
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>What is monitored.</summary>
    public MetricMonitor Monitor { get; }

    /// <summary>Save only when the monitored metric improves. Default true; false saves every epoch.</summary>
    public bool SaveBestOnly { get; init; } = true;

    /// <summary>The epoch last saved in the last training run, or 0.</summary>
    public int SavedEpoch { get; private set; }

    /// <inheritdoc/>
    public void OnTrainingBegin(MnistCnnModule model, TrainerOptions options)
    {
        _state.Reset();
        SavedEpoch = 0;
    }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_state.Update(context.Metrics) || !SaveBestOnly)
        {
            context.Model.SaveWeights(Path);
            SavedEpoch = context.Epoch;
        }
    }
}
