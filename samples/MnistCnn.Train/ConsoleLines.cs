using MnistCnn.Core.Training;

namespace MnistCnn.Samples;

/// <summary>Prints the tutorial's two lines and an epoch-time line after each epoch.</summary>
internal sealed class ConsoleLines : IEpochCallback
{
    public Action<string> Write { get; set; } = Console.WriteLine;

    public void OnEpochEnd(EpochContext context)
    {
        var m = context.Metrics;
        Write($"Train Epoch: {m.Epoch} \tLoss: {m.TrainLoss:F6} \tAccuracy: {m.TrainAccuracy * 100:F2}%");
        Write($"Test Loss: {m.TestLoss:F6} \tAccuracy: {m.TestAccuracy * 100:F2}%");
        Write($"Epoch time: {m.Duration.TotalSeconds:F2} s ({m.ImagesPerSecond:F0} images/s)");
    }
}
