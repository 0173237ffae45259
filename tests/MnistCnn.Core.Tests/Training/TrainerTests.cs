using MnistCnn.Core.Model;
using MnistCnn.Core.Training;
using TorchSharp;
using Xunit;


namespace MnistCnn.Core.Tests;

[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class TrainerTests(MnistFixture mnist, ITestOutputHelper output)
{
    [Fact]
    public void Real_mnist_has_the_published_sizes()
    {
        Assert.Equal(60_000, mnist.Train.Count);
        Assert.Equal(10_000, mnist.Test.Count);
        Assert.Equal(7, mnist.Test.GetLabel(0));
    }

    [Fact]
    public void One_epoch_at_the_tutorial_defaults_reaches_97_5_percent()
    {
        using var model = new MnistCnnModule(seed: 1);
        var result = new Trainer(model, new TrainerOptions { Epochs = 1, Seed = 1, Device = Runtime.ComputeDevice.Cpu }).Fit(mnist.Train, mnist.Test, cancellationToken: TestContext.Current.CancellationToken);
        var m = Assert.Single(result.History);
        output.WriteLine($"epoch 1: train loss {m.TrainLoss:F6} acc {m.TrainAccuracy:P2}; test loss {m.TestLoss:F6} acc {m.TestAccuracy:P2}; {m.Duration.TotalSeconds:F1} s, {m.ImagesPerSecond:F0} images/s");
        Assert.True(m.TestAccuracy >= 0.975, $"test accuracy {m.TestAccuracy:P2}");
        Assert.Equal(m, result.BestEpoch);
        Assert.Equal(m.TestAccuracy, new Trainer(model).Evaluate(mnist.Test).Accuracy);
    }

    /// <summary>Sets fresh random weights after one chosen epoch, so a later epoch is worse than an earlier one.</summary>
    private sealed class Reinitialize(int afterEpoch) : IEpochCallback
    {
        public void OnEpochEnd(EpochContext context)
        {
            if (context.Epoch == afterEpoch)
            {
                using var fresh = new MnistCnnModule(seed: 1234);
                using var weights = new DisposableWeights(fresh.CloneWeights());
                context.Model.CopyFrom(weights.Tensors, "fresh");
            }
        }
    }

    private sealed class DisposableWeights(Dictionary<string, torch.Tensor> tensors) : IDisposable
    {
        public Dictionary<string, torch.Tensor> Tensors => tensors;

        public void Dispose()
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>What the tutorial does: keep model.state_dict() itself, which references the live tensors.</summary>
    private sealed class TutorialStyleBest : IEpochCallback
    {
        public Dictionary<string, torch.Tensor>? Kept;
        private double _best;

        public void OnEpochEnd(EpochContext context)
        {
            if (context.Metrics.TestAccuracy > _best)
            {
                _best = context.Metrics.TestAccuracy;
                Kept = context.Model.state_dict();
            }
        }
    }

    [Fact]
    public void Best_model_keeps_a_real_copy_and_restores_the_best_epoch_not_the_last()
    {
        using var train = mnist.Train.Take(3000);
        using var test = mnist.Test.Take(2000);
        using var model = new MnistCnnModule(seed: 2);
        using var best = new BestModelCallback { RestoreOnTrainingEnd = false };
        var tutorial = new TutorialStyleBest();
        var trainer = new Trainer(model, new TrainerOptions { Epochs = 3, Seed = 2, LearningRate = 0.0003 })
            .Add(best).Add(tutorial).Add(new Reinitialize(afterEpoch: 2));
        var history = trainer.Fit(train, test, cancellationToken: TestContext.Current.CancellationToken).History;
        output.WriteLine(string.Join("; ", history.Select(h => $"epoch {h.Epoch}: {h.TestAccuracy:P2}")));
        Assert.Equal(2, best.BestEpoch);
        Assert.True(history[2].TestAccuracy < history[1].TestAccuracy);

        // The tutorial's way kept references to the live tensors: its "best" weights are the last epoch's.
        using var tutorialModel = new MnistCnnModule();
        tutorialModel.CopyFrom(tutorial.Kept!, "tutorial");
        Assert.Equal(history[2].TestAccuracy, new Trainer(tutorialModel).Evaluate(test).Accuracy);

        // Ours kept a copy: restoring it reproduces epoch 2's accuracy exactly.
        best.RestoreBest(model);
        Assert.Equal(history[1].TestAccuracy, trainer.Evaluate(test).Accuracy);
    }

    [Fact]
    public void Best_model_is_restored_when_training_ends_by_default()
    {
        using var train = mnist.Train.Take(2000);
        using var test = mnist.Test.Take(1000);
        using var model = new MnistCnnModule(seed: 2);
        using var best = new BestModelCallback();
        var trainer = new Trainer(model, new TrainerOptions { Epochs = 2, Seed = 2 }).Add(best).Add(new Reinitialize(afterEpoch: 2));
        var history = trainer.Fit(train, test, cancellationToken: TestContext.Current.CancellationToken).History;
        Assert.Equal(history[1].TestAccuracy, trainer.Evaluate(test).Accuracy);
    }

    [Fact]
    public void Same_seed_same_numbers_on_cpu()
    {
        using var train = mnist.Train.Take(2000);
        using var test = mnist.Test.Take(500);
        double[] Run()
        {
            using var model = new MnistCnnModule(seed: 7);
            var r = new Trainer(model, new TrainerOptions { Epochs = 2, Seed = 7, Device = Runtime.ComputeDevice.Cpu }).Fit(train, test);
            return r.History.SelectMany(h => new[] { h.TrainLoss, h.TestLoss, h.TestAccuracy }).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Cancellation_mid_epoch_returns_promptly_with_the_history_so_far()
    {
        using var model = new MnistCnnModule(seed: 3);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<BatchProgress>(p =>
        {
            if (p.Epoch == 2 && p.Batch == 20)
            {
                cts.Cancel();
            }
        });
        using var train = mnist.Train.Take(6400);
        using var test = mnist.Test.Take(1000);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = new Trainer(model, new TrainerOptions { Epochs = 5, Seed = 3 }).Fit(train, test, progress, cts.Token);
        Assert.True(result.Cancelled);
        Assert.Single(result.History);
        Assert.True(new Trainer(model).Evaluate(test).Accuracy > 0.8, "the model is still usable");
    }

    [Fact]
    public void Early_stopping_and_checkpoint_work_in_a_real_fit()
    {
        using var dir = new TempDir();
        using var train = mnist.Train.Take(2000);
        using var test = mnist.Test.Take(500);
        using var model = new MnistCnnModule(seed: 4);
        var checkpoint = new ModelCheckpoint(dir.File("best.bin"));
        var result = new Trainer(model, new TrainerOptions { Epochs = 6, Seed = 4 })
            .Add(checkpoint)
            .Add(new EarlyStopping(new MetricMonitor(TrainingMetric.TrainLoss, MinDelta: 10), patience: 1))
            .Fit(train, test, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, result.History.Count);
        Assert.Contains("early stopping", result.StopReason);
        Assert.Equal(result.BestEpoch!.Epoch, checkpoint.SavedEpoch);
        using var reloaded = MnistCnnModule.FromFile(dir.File("best.bin"));
        Assert.Equal(result.BestTestAccuracy, new Trainer(reloaded).Evaluate(test).Accuracy);
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
