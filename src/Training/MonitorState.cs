namespace MnistCnn.Core.Training;

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

    /// <summary>Forgets every epoch seen, for a new training run.</summary>
    public void Reset()
    {
        Best = null;
        BestEpoch = 0;
        EpochsWithoutImprovement = 0;
    }

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
