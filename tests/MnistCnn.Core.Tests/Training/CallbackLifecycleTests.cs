using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using MnistCnn.Core.Training;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>The callback hooks of real (small) Fit calls: order, and built-in callbacks reused across runs.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class CallbackLifecycleTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Data.MnistDataset _digits = SyntheticDigits.Create(320);

    public void Dispose()
    {
        _digits.Dispose();
        _dir.Dispose();
    }

    private static TrainerOptions Options(double learningRate = 0.003) =>
        new() { Epochs = 3, BatchSize = 32, LearningRate = learningRate, Seed = 3, Device = ComputeDevice.Cpu };

    private sealed class Recorder(string name, List<string> log) : IEpochCallback
    {
        public void OnTrainingBegin(MnistCnnModule model, TrainerOptions options) => log.Add($"{name} begin {options.Epochs}");

        public void OnEpochEnd(EpochContext context) => log.Add($"{name} epoch {context.Epoch}");

        public void OnTrainingEnd(MnistCnnModule model, IReadOnlyList<EpochMetrics> history) => log.Add($"{name} end {history.Count}");
    }

    [Fact]
    public void Hooks_run_begin_then_each_epoch_then_end_in_registration_order_on_every_fit()
    {
        var log = new List<string>();
        using var model = new MnistCnnModule(seed: 3);
        var trainer = new Trainer(model, Options()).Add(new Recorder("a", log)).Add(new Recorder("b", log));
        trainer.Fit(_digits, _digits, cancellationToken: TestContext.Current.CancellationToken);
        trainer.Fit(_digits, _digits, cancellationToken: TestContext.Current.CancellationToken);

        string[] oneFit = ["a begin 3", "b begin 3", "a epoch 1", "b epoch 1", "a epoch 2", "b epoch 2", "a epoch 3", "b epoch 3", "a end 3", "b end 3"];
        Assert.Equal([.. oneFit, .. oneFit], log);
    }

    private sealed class FailAt(int epoch) : IEpochCallback
    {
        public void OnEpochEnd(EpochContext context)
        {
            if (context.Epoch == epoch)
            {
                throw new InvalidOperationException($"failed at epoch {epoch}");
            }
        }
    }

    [Fact]
    public void Training_end_runs_for_every_callback_when_fit_throws()
    {
        var log = new List<string>();
        using var model = new MnistCnnModule(seed: 3);
        var trainer = new Trainer(model, Options()).Add(new Recorder("a", log)).Add(new FailAt(2)).Add(new Recorder("b", log));

        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(_digits, _digits, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal("failed at epoch 2", error.Message);
        Assert.Equal(["a begin 3", "b begin 3", "a epoch 1", "b epoch 1", "a epoch 2", "a end 2", "b end 2"], log);
        Assert.False(model.training);
    }

    [Fact]
    public void One_instance_of_each_built_in_callback_serves_a_second_fit_from_a_fresh_start()
    {
        // Both runs watch the training loss. The first model learns; the second, fresh, barely moves, so every one
        // of its losses is worse than the first run's best: state carried over would keep the first run's best.
        var lowestLoss = new MetricMonitor(TrainingMetric.TrainLoss);
        using var best = new BestModelCallback(lowestLoss);
        var stopper = new EarlyStopping(new MetricMonitor(TrainingMetric.TrainLoss, MinDelta: 10), patience: 1);
        var checkpoint = new ModelCheckpoint(_dir.File("best.bin"), lowestLoss);

        using var first = new MnistCnnModule(seed: 3);
        var firstRun = new Trainer(first, Options()).Add(best).Add(stopper).Add(checkpoint)
            .Fit(_digits, _digits, cancellationToken: TestContext.Current.CancellationToken);

        using var second = new MnistCnnModule(seed: 4);
        var secondRun = new Trainer(second, Options(learningRate: 1e-9)).Add(best).Add(stopper).Add(checkpoint)
            .Fit(_digits, _digits, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(secondRun.History.Min(m => m.TrainLoss) > firstRun.History.Min(m => m.TrainLoss), "the premise: the second run never reaches the first one's loss");

        // Early stopping counts afresh: epoch 1 sets the best, epoch 2 is the one epoch of patience, in both runs.
        Assert.Equal(2, firstRun.History.Count);
        Assert.Equal(2, secondRun.History.Count);
        Assert.Equal(2, stopper.StoppedEpoch);

        var secondBest = secondRun.History.MinBy(m => m.TrainLoss)!;
        Assert.Equal(secondBest.Epoch, best.BestEpoch);
        Assert.Equal(secondBest.TrainLoss, best.BestValue);
        Assert.Equal(secondBest.Epoch, checkpoint.SavedEpoch);

        // The second model holds its own best weights, and so does the checkpoint file: nothing of the first model.
        using var saved = MnistCnnModule.FromFile(checkpoint.Path);
        var secondWeights = second.state_dict();
        foreach (var (name, tensor) in saved.state_dict())
        {
            Assert.True(tensor.allclose(secondWeights[name]), name);
            Assert.False(tensor.allclose(first.state_dict()[name]), name);
        }
    }
}
