using System.Diagnostics;
using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using MnistCnn.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// Times, in one run on the same machine: the Trainer at the tutorial's defaults, a hand-written TorchSharp loop doing
/// the same work, and the tutorial's own PyTorch script; then the fast recipe end to end. Prints figures and ratios.
/// </summary>
internal static class TrainingHarness
{
    public static void Run(string mnist, int epochs)
    {
        Console.WriteLine($"# Training throughput, {epochs} epochs each, batch 64, Adam lr 0.001 (epoch = train + test)");
        Console.WriteLine($"torch threads: {torch.get_num_threads()}, cores: {Environment.ProcessorCount}");

        var load = Stopwatch.StartNew();
        using var train = MnistDataset.Load(mnist, MnistSplit.Train);
        using var test = MnistDataset.Load(mnist, MnistSplit.Test);
        Console.WriteLine($"load 70,000 images: {load.Elapsed.TotalMilliseconds:F0} ms (first load includes libtorch start-up)");

        // The first batches of a process pay for libtorch's kernel selection and memory growth: keep them out of the
        // comparison, and alternate the two .NET runs so that drift on this shared machine hits both alike.
        TimeHandWritten(train, test, epochs: 1, maxBatches: 200);
        var rounds = new List<(string Name, double[] Seconds)>();
        for (int round = 1; round <= 2; round++)
        {
            rounds.Add(($"MnistCnn.Core Trainer, round {round}", TimeTrainer(train, test, epochs)));
            rounds.Add(($"hand-written TorchSharp loop, round {round}", TimeHandWritten(train, test, epochs)));
        }
        double[] trainer = rounds.Where(r => r.Name.StartsWith("MnistCnn", StringComparison.Ordinal)).SelectMany(r => r.Seconds).ToArray();
        double[] hand = rounds.Where(r => r.Name.StartsWith("hand", StringComparison.Ordinal)).SelectMany(r => r.Seconds).ToArray();
        double[]? seed = TimeSeedScript(mnist, epochs);

        Console.WriteLine();
        Console.WriteLine("| run | " + string.Join(" | ", Enumerable.Range(1, epochs).Select(e => $"epoch {e} (s)")) + " | best epoch images/s |");
        Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---|", epochs + 1)));
        foreach (var (name, seconds) in rounds)
        {
            Row(name, seconds);
        }
        if (seed is not null)
        {
            Row("tutorial's PyTorch script", seed);
        }
        Console.WriteLine();
        Console.WriteLine($"Trainer / hand-written loop (best epoch time): {trainer.Min() / hand.Min():F3} (1.000 = free abstraction; target <= 1.05); median epochs: {Median(trainer) / Median(hand):F3}");
        if (seed is not null)
        {
            Console.WriteLine($"tutorial script / Trainer (best epoch time): {seed.Min() / trainer.Min():F2}x (target >= 3.0x); median epochs: {Median(seed) / Median(trainer):F2}x");
        }

        Console.WriteLine();
        FastRecipe(mnist);
    }

    internal static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void Row(string name, double[] seconds) =>
        Console.WriteLine($"| {name} | " + string.Join(" | ", seconds.Select(s => s.ToString("F2", CultureInfo.InvariantCulture))) + $" | {60000 / seconds.Min():F0} |");

    private static double[] TimeTrainer(MnistDataset train, MnistDataset test, int epochs)
    {
        using var model = new MnistCnnModule(seed: 1);
        var result = new Trainer(model, new TrainerOptions { Epochs = epochs, Seed = 1 }).Fit(train, test);
        Console.WriteLine($"Trainer: test accuracy {string.Join(", ", result.History.Select(h => h.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture)))}");
        return result.History.Select(h => h.Duration.TotalSeconds).ToArray();
    }

    /// <summary>The same work written directly against TorchSharp: what the Trainer's abstraction is measured against.</summary>
    private static double[] TimeHandWritten(MnistDataset train, MnistDataset test, int epochs, int maxBatches = int.MaxValue)
    {
        const int evaluationBatch = 256; // as TrainerOptions.EvaluationBatchSize: the same work
        using var model = new MnistCnnModule(seed: 1);
        using var optimizer = torch.optim.Adam(model.parameters(), 0.001);
        using var generator = new Generator(1);
        Tensor images = train.Images, labels = train.Labels;
        long n = images.shape[0];
        var times = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            model.train();
            using var order = torch.randperm(n, generator: generator);
            using var lossSum = torch.zeros(1, ScalarType.Float64);
            using var correct = torch.zeros(1, ScalarType.Int64);
            for (long start = 0; start < Math.Min(n, maxBatches * 64L); start += 64)
            {
                using var scope = torch.NewDisposeScope();
                long size = Math.Min(64, n - start);
                var idx = order.narrow(0, start, size);
                var x = MnistFormat.ToModelInput(images.index_select(0, idx));
                var y = labels.index_select(0, idx);
                optimizer.zero_grad();
                var output = model.call(x);
                var loss = F.cross_entropy(output, y);
                loss.backward();
                optimizer.step();
                using (torch.no_grad())
                {
                    lossSum.add_(loss.detach() * size);
                    correct.add_(output.argmax(1).eq(y).sum());
                }
            }
            _ = lossSum.item<double>() + correct.item<long>();

            model.eval();
            using (torch.inference_mode())
            {
                long testCount = test.Images.shape[0];
                using var testCorrect = torch.zeros(1, ScalarType.Int64);
                for (long start = 0; start < testCount; start += evaluationBatch)
                {
                    using var scope = torch.NewDisposeScope();
                    long size = Math.Min(evaluationBatch, testCount - start);
                    var output = model.call(MnistFormat.ToModelInput(test.Images.narrow(0, start, size)));
                    testCorrect.add_(output.argmax(1).eq(test.Labels.narrow(0, start, size)).sum());
                }
                _ = testCorrect.item<long>();
            }
            times[epoch] = watch.Elapsed.TotalSeconds;
        }
        return times;
    }

    private static double[]? TimeSeedScript(string mnist, int epochs)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "seed_benchmark.py");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(Path.GetFullPath(mnist));
        psi.ArgumentList.Add(epochs.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var process = Process.Start(psi)!;
            string stdout = process.StandardOutput.ReadToEnd();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"tutorial script skipped: {stderr.Trim().Split('\n').LastOrDefault()} (apt-get install python3-torch python3-torchvision)");
                return null;
            }
            return stdout.Split('\n').Where(l => l.StartsWith("EPOCH_SECONDS", StringComparison.Ordinal))
                .Select(l => double.Parse(l.Split(' ')[3], CultureInfo.InvariantCulture)).ToArray();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Console.WriteLine($"tutorial script skipped: {ex.Message}");
            return null;
        }
    }

    /// <summary>The fast recipe, timed like a user would: from loading the files to the last evaluation.</summary>
    private static void FastRecipe(string mnist)
    {
        var options = TrainerOptions.Fast();
        var total = Stopwatch.StartNew();
        using var train = MnistDataset.Load(mnist, MnistSplit.Train);
        using var test = MnistDataset.Load(mnist, MnistSplit.Test);
        using var model = new MnistCnnModule(seed: 1);
        var result = new Trainer(model, new TrainerOptions
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            LearningRate = options.LearningRate,
            Schedule = options.Schedule,
            Seed = 1,
        }).Fit(train, test);
        total.Stop();
        Console.WriteLine($"# Fast recipe (TrainerOptions.Fast(): {options.Epochs} epochs, batch {options.BatchSize}, one-cycle to {options.LearningRate})");
        Console.WriteLine($"per epoch: {string.Join(", ", result.History.Select(h => $"{h.Duration.TotalSeconds:F2} s -> {h.TestAccuracy:P2}"))}");
        Console.WriteLine($"final test accuracy {result.History[^1].TestAccuracy:P2} in {total.Elapsed.TotalSeconds:F1} s wall, load to last evaluation (target: >= 99.00% in <= 25 s)");
    }
}
