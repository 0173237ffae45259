using MnistCnn.Core.Model;
using TorchSharp;

namespace MnistCnn.Core.Training;

/// <summary>
/// Keeps a real copy of the weights of the best epoch (unlike the tutorial's <c>model.state_dict()</c>, which keeps
/// references to the live tensors and so silently holds the last epoch's), and by default puts them back into the
/// model when training ends.
/// </summary>
public sealed class BestModelCallback : IEpochCallback, IDisposable
{
    private readonly MonitorState _state;
    private Dictionary<string, torch.Tensor>? _best;

    /// <summary>Tracks the metric of <paramref name="monitor"/> (default: highest test accuracy).</summary>
    public BestModelCallback(MetricMonitor? monitor = null)
    {
        Monitor = monitor ?? new MetricMonitor();
        _state = new MonitorState(Monitor);
    }

    /// <summary>What is monitored.</summary>
    public MetricMonitor Monitor { get; }

    /// <summary>Put the best weights back into the model when training ends. Default true.</summary>
    public bool RestoreOnTrainingEnd { get; init; } = true;

    /// <summary>The epoch whose weights are kept (of the last training run), or 0 before the first epoch.</summary>
    public int BestEpoch => _state.BestEpoch;

    /// <summary>The monitored value at <see cref="BestEpoch"/>.</summary>
    public double? BestValue => _state.Best;

    /// <inheritdoc/>
    public void OnTrainingBegin(MnistCnnModule model, TrainerOptions options)
    {
        _state.Reset();
        DisposeBest();
    }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_state.Update(context.Metrics))
        {
            DisposeBest();
            _best = context.Model.CloneWeights();
        }
    }

    /// <inheritdoc/>
    public void OnTrainingEnd(MnistCnnModule model, IReadOnlyList<EpochMetrics> history)
    {
        if (RestoreOnTrainingEnd && _best is not null)
        {
            RestoreBest(model);
        }
    }

    /// <summary>Copies the best weights into <paramref name="model"/>.</summary>
    /// <exception cref="InvalidOperationException">No epoch has ended yet.</exception>
    public void RestoreBest(MnistCnnModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var best = _best ?? throw new InvalidOperationException("No epoch has ended yet, so there are no best weights to restore.");
        model.CopyFrom(best, $"best weights of epoch {BestEpoch}");
    }

    /// <summary>Releases the copied weights.</summary>
    public void Dispose() => DisposeBest();

    private void DisposeBest()
    {
        if (_best is null)
        {
            return;
        }
        WeightsFile.DisposeAll(_best);
        _best = null;
    }
}
