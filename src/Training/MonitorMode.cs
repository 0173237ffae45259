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
