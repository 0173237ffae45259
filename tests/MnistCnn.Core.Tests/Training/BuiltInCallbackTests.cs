using MnistCnn.Core.Training;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class BuiltInCallbackTests
{
    private static EpochMetrics Epoch(int n, double testAccuracy, double testLoss = 0.1) => new(n, 0.5, 0.9, testLoss, testAccuracy, TimeSpan.FromSeconds(1), 100);

    [Fact]
    public void Monitor_respects_mode_and_min_delta()
    {
        var state = new MonitorState(new MetricMonitor(TrainingMetric.TestAccuracy, MinDelta: 0.01));
        Assert.True(state.Update(Epoch(1, 0.90)));
        Assert.False(state.Update(Epoch(2, 0.905)));
        Assert.True(state.Update(Epoch(3, 0.92)));
        Assert.Equal(3, state.BestEpoch);

        var loss = new MonitorState(new MetricMonitor(TrainingMetric.TestLoss));
        Assert.True(loss.Update(Epoch(1, 0.9, testLoss: 0.5)));
        Assert.False(loss.Update(Epoch(2, 0.9, testLoss: 0.6)));
        Assert.True(loss.Update(Epoch(3, 0.9, testLoss: 0.4)));
    }

    [Fact]
    public void Early_stopping_requests_a_stop_after_patience_epochs_without_improvement()
    {
        var stopper = new EarlyStopping(patience: 2);
        var history = new List<EpochMetrics>();
        double[] accuracies = [0.90, 0.95, 0.94, 0.95, 0.93, 0.99];
        int stoppedAt = 0;
        foreach (var (acc, i) in accuracies.Select((a, i) => (a, i + 1)))
        {
            history.Add(Epoch(i, acc));
            var context = new EpochContext(null!, history, accuracies.Length);
            stopper.OnEpochEnd(context);
            if (context.StopRequested)
            {
                stoppedAt = i;
                Assert.Contains("early stopping", context.StopReason);
                break;
            }
        }
        Assert.Equal(4, stoppedAt);
        Assert.Equal(4, stopper.StoppedEpoch);
    }

    [Fact]
    public void Negative_patience_is_refused_with_the_parameter_name()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(patience: -1));
        Assert.Equal("patience", ex.ParamName);
    }

    [Fact]
    public void Invalid_monitor_is_refused_with_the_parameter_name()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(new MetricMonitor(MinDelta: -1)));
        Assert.Equal("MinDelta", ex.ParamName);
    }
}
