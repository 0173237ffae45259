using MnistCnn.Core.Inference;
using MnistCnn.Core.Model;
using MnistCnn.Core.Training;
using TorchSharp;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// Every tensor the library creates is disposed by the library: none is left to the finalizer, which would free native
/// memory on another thread at a time nobody chose. Counted with TorchSharp's per-thread statistics (tensors created on
/// this thread minus those disposed on it), which a finalizer never changes, so the count is exact whatever the GC does.
/// </summary>
[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class TensorLifetimeTests(MnistFixture mnist, ITestOutputHelper output)
{
    private static long LiveOnThisThread() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    private long Growth(string what, Action action)
    {
        long before = LiveOnThisThread();
        action();
        long growth = LiveOnThisThread() - before;
        output.WriteLine($"{what}: {growth} tensors left undisposed");
        return growth;
    }

    [Fact]
    public void Training_evaluating_predicting_and_saving_leave_no_tensor_behind()
    {
        using var train = mnist.Train.Take(640);
        using var test = mnist.Test.Take(300);
        using var model = new MnistCnnModule(seed: 1);
        using var dir = new TempDir();
        var options = new TrainerOptions { Epochs = 2, Seed = 1, Device = Runtime.ComputeDevice.Cpu, Augment = true };

        Assert.Equal(0, Growth("Fit", () => new Trainer(model, options).Fit(train, test)));
        Assert.Equal(0, Growth("Fit, one-cycle", () => new Trainer(model, new TrainerOptions { Epochs = 1, Seed = 2, Device = Runtime.ComputeDevice.Cpu, Schedule = LearningRateSchedule.OneCycle }).Fit(train, test)));
        Assert.Equal(0, Growth("Trainer.Evaluate", () => new Trainer(model).Evaluate(test)));
        Assert.Equal(0, Growth("SaveWeights", () => model.SaveWeights(dir.File("m.bin"))));
        Assert.Equal(0, Growth("SavePyTorch", () => model.SavePyTorch(dir.File("m.pth"))));
        Assert.Equal(0, Growth("ExportOnnx", () => model.ExportOnnx(dir.File("m.onnx"))));
        Assert.Equal(0, Growth("LoadWeights", () => model.LoadWeights(dir.File("m.bin"))));
        Assert.Equal(0, Growth("LoadWeights of a .pth", () => model.LoadWeights(dir.File("m.pth"))));
        Assert.Equal(0, Growth("Subset", () => test.Subset(10, 20).Dispose()));

        var pixels = mnist.Test.GetNormalizedPixels(0);
        Assert.Equal(0, Growth("classifier over a model, Predict and Evaluate", () =>
        {
            using var classifier = new DigitClassifier(model);
            classifier.Predict(pixels);
            classifier.PredictBatch(test);
            classifier.Evaluate(test);
        }));
        Assert.Equal(0, Growth("pretrained classifier", () =>
        {
            using var classifier = DigitClassifier.LoadPretrained();
            classifier.Predict(pixels);
        }));
        Assert.Equal(0, Growth("classifier from a file", () => DigitClassifier.FromFile(dir.File("m.bin")).Dispose()));
    }
}
