using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// What the flat Adam buys on the CPU, in one process: TorchSharp's Adam (the Trainer before the flat buffers) against
/// the flat Adam. Tutorial settings; one epoch per configuration, alternated over rounds.
/// </summary>
internal static class CpuStepHarness
{
    private static double Median(List<double> values) => TrainingHarness.Median([.. values]);

    public static void Run(string mnist, int rounds)
    {
        using var train = MnistDataset.Load(mnist, MnistSplit.Train);
        using var test = MnistDataset.Load(mnist, MnistSplit.Test);
        (string Name, TrainerOptions Options)[] configurations =
        [
            ("TorchSharp Adam", new TrainerOptions { Epochs = 1, Seed = 1, Device = ComputeDevice.Cpu, Optimizer = TrainerOptimizer.TorchSharpAdam }),
            ("flat Adam (the default)", new TrainerOptions { Epochs = 1, Seed = 1, Device = ComputeDevice.Cpu }),
        ];
        var times = configurations.Select(_ => new List<double>()).ToArray();
        var accuracies = configurations.Select(_ => new List<double>()).ToArray();
        using (var warm = new MnistCnnModule(seed: 1))
        using (var small = train.Take(2048))
        {
            foreach (var (_, options) in configurations)
            {
                new Trainer(warm, options).Fit(small, test.Take(256));
            }
        }
        for (int round = 0; round < rounds; round++)
        {
            for (int c = 0; c < configurations.Length; c++)
            {
                using var model = new MnistCnnModule(seed: 1);
                var epoch = new Trainer(model, configurations[c].Options).Fit(train, test).History[0];
                times[c].Add(epoch.Duration.TotalSeconds);
                accuracies[c].Add(epoch.TestAccuracy);
            }
        }
        Console.WriteLine($"## CPU training step, one epoch (train + test), batch 64, {Environment.ProcessorCount} cores, {rounds} rounds");
        for (int c = 0; c < configurations.Length; c++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{configurations[c].Name}: epochs {string.Join(", ", times[c].Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))} s; median {Median(times[c]):F2} s, {Median(times[0]) / Median(times[c]):F2}x the first; best {times[c].Min():F2} s, {times[0].Min() / times[c].Min():F2}x; test accuracy {string.Join(", ", accuracies[c].Select(a => a.ToString("P2", CultureInfo.InvariantCulture)))}"));
        }
    }
}
