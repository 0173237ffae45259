using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Benchmarks;

/// <summary>Peak resident memory (VmHWM) of the default 10-epoch training, in this process.</summary>
internal static class MemoryHarness
{
    public static void Run(string mnist)
    {
        var watch = Stopwatch.StartNew();
        using var train = MnistDataset.Load(mnist, MnistSplit.Train);
        using var test = MnistDataset.Load(mnist, MnistSplit.Test);
        using var model = new MnistCnnModule(seed: 1);
        using var best = new BestModelCallback();
        var result = new Trainer(model, new TrainerOptions { Seed = 1 }).Add(best).Fit(train, test);
        Console.WriteLine($"# Default 10-epoch training: best test accuracy {result.BestTestAccuracy:P2} (epoch {result.BestEpoch?.Epoch}), {watch.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine($"epoch times (s): {string.Join(", ", result.History.Select(h => h.Duration.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"peak resident memory (VmHWM): {Status("VmHWM")} (target <= 500 MB); now {Status("VmRSS")}");
    }

    private static string Status(string key) =>
        File.ReadLines("/proc/self/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal)).Split(':')[1].Trim();
}
