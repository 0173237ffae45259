using MnistCnn.Core.Model;

namespace MnistCnn.Core.Training;

/// <summary>What a callback sees after an epoch: read-only, except for the stop request.</summary>
public sealed class EpochContext
{
    internal EpochContext(MnistCnnModule model, IReadOnlyList<EpochMetrics> history, int totalEpochs)
    {
        Model = model;
        History = history;
        TotalEpochs = totalEpochs;
    }

    /// <summary>The epoch that just ended, from 1.</summary>
    public int Epoch => Metrics.Epoch;

    /// <summary>The metrics of the epoch that just ended.</summary>
    public EpochMetrics Metrics => History[^1];

    /// <summary>Every epoch so far, the current one last.</summary>
    public IReadOnlyList<EpochMetrics> History { get; }

    /// <summary>The number of epochs training was asked for.</summary>
    public int TotalEpochs { get; }

    /// <summary>The model being trained. Read its weights; do not train it here.</summary>
    public MnistCnnModule Model { get; }

    /// <summary>Whether a callback has asked training to stop after this epoch.</summary>
    public bool StopRequested => StopReason is not null;

    /// <summary>Why training will stop, if a callback asked.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Asks training to stop after this epoch; later callbacks still run. The first reason given is kept.</summary>
    public void RequestStop(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        StopReason ??= reason;
    }
}
