using System.Diagnostics;
using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// Where the time goes: the forward pass layer by layer in both memory layouts, a training step phase by phase,
/// one Predict stage by stage, and what a page fault costs on this machine. Medians of repeated timings.
/// </summary>
internal static class ProfileHarness
{
    private static readonly long[] Pad = [1, 1];

    public static void Run(string mnist)
    {
        Console.WriteLine($"# Profile (torch threads {torch.get_num_threads()}, cores {Environment.ProcessorCount})");
        using var model = new MnistCnnModule(seed: 1);
        var p = model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        model.eval();
        LayerByLayer(model, p, batch: 256);
        LayerByLayer(model, p, batch: 1);
        TrainingStep(mnist);
        SinglePredict();
        PageFaults(mnist);
    }

    /// <summary>Each layer of the inference forward pass, in NCHW and in channels-last from the input (what MnistCnnModule does on the CPU).</summary>
    private static void LayerByLayer(MnistCnnModule model, Dictionary<string, TorchSharp.Modules.Parameter> p, int batch)
    {
        Console.WriteLine();
        Console.WriteLine($"## Forward pass at batch {batch}, microseconds per image (inference mode)");
        Console.WriteLine("| layout | input as NHWC | conv1 | pool1 | relu1 | conv2 | pool2 | conv3 | pool3 | fc1 | fc2 | whole model |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        int reps = batch == 1 ? 200 : 10;
        using var inference = torch.inference_mode();
        using var x = torch.rand(batch, 1, MnistFormat.ImageSize, MnistFormat.ImageSize);
        foreach (bool channelsLast in new[] { false, true })
        {
            using var scope = torch.NewDisposeScope();
            var row = new List<double>();
            void Step(Func<Tensor> op) => row.Add(Median(() => Scoped(op), reps) / batch);
            var input = x;
            if (channelsLast)
            {
                Step(() => AsChannelsLast(x));
                input = AsChannelsLast(x);
            }
            else
            {
                row.Add(double.NaN);
            }
            var c1 = F.conv2d(input, p["conv1.weight"], p["conv1.bias"], padding: Pad);
            Step(() => F.conv2d(input, p["conv1.weight"], p["conv1.bias"], padding: Pad));
            Step(() => F.max_pool2d(c1, 2, 2));
            var m1 = F.max_pool2d(c1, 2, 2);
            Step(() => F.relu(m1));
            var r1 = F.relu(m1);
            Step(() => F.conv2d(r1, p["conv2.weight"], p["conv2.bias"], padding: Pad));
            var c2 = F.conv2d(r1, p["conv2.weight"], p["conv2.bias"], padding: Pad);
            Step(() => F.max_pool2d(c2, 2, 2));
            var r2 = F.relu(F.max_pool2d(c2, 2, 2));
            Step(() => F.conv2d(r2, p["conv3.weight"], p["conv3.bias"], padding: Pad));
            var c3 = F.conv2d(r2, p["conv3.weight"], p["conv3.bias"], padding: Pad);
            Step(() => F.max_pool2d(c3, 2, 2));
            var flat = F.relu(F.max_pool2d(c3, 2, 2)).reshape(batch, -1);
            Step(() => F.linear(flat, p["fc1.weight"], p["fc1.bias"]));
            var h = F.linear(flat, p["fc1.weight"], p["fc1.bias"]);
            Step(() => F.linear(h, p["fc2.weight"], p["fc2.bias"]));
            if (channelsLast)
            {
                row.Add(Median(() => Scoped(() => model.call(x)), reps) / batch);
            }
            else
            {
                row.Add(row.Where(v => !double.IsNaN(v)).Sum());
            }
            Console.WriteLine($"| {(channelsLast ? "channels-last (used)" : "NCHW (sum of layers)")} | " + string.Join(" | ", row.Select(v => double.IsNaN(v) ? "-" : v.ToString("F1", CultureInfo.InvariantCulture))) + " |");
        }
    }

    /// <summary>Runs <paramref name="op"/> and disposes everything it created, views included, as the model's forward does.</summary>
    private static void Scoped(Func<Tensor> op)
    {
        using var scope = torch.NewDisposeScope();
        op();
    }

    /// <summary>What MnistCnnModule does on the CPU: a one-channel batch's strides relabelled as NHWC, no copy.</summary>
    private static Tensor AsChannelsLast(Tensor x) => x.as_strided(x.shape, [x.stride(0), 1, x.stride(2), x.stride(3)], x.storage_offset());

    /// <summary>One training step at the tutorial's batch 64, phase by phase, as the Trainer runs it.</summary>
    private static void TrainingStep(string mnist)
    {
        using var train = MnistDataset.Load(mnist, MnistSplit.Train);
        using var model = new MnistCnnModule(seed: 1);
        using var optimizer = torch.optim.Adam(model.parameters(), 0.001);
        using var order = torch.randperm(train.Count);
        using var lossSum = torch.zeros(1, ScalarType.Float64);
        using var correct = torch.zeros(1, ScalarType.Int64);
        string[] phases = ["slice + to float", "zero_grad", "forward", "loss", "backward", "Adam step", "metrics"];
        var spent = new double[phases.Length];
        const int warmup = 100, measured = 500;
        model.train();
        var total = new Stopwatch();
        for (int b = 0; b < warmup + measured; b++)
        {
            if (b == warmup)
            {
                Array.Clear(spent);
                total.Start();
            }
            using var scope = torch.NewDisposeScope();
            var watch = Stopwatch.StartNew();
            int phase = 0;
            void Lap()
            {
                spent[phase++] += watch.Elapsed.TotalMilliseconds;
                watch.Restart();
            }
            var idx = order.narrow(0, b * 64, 64);
            var x = MnistFormat.ToModelInput(train.Images.index_select(0, idx));
            var y = train.Labels.index_select(0, idx);
            Lap();
            optimizer.zero_grad();
            Lap();
            var output = model.call(x);
            Lap();
            var loss = F.cross_entropy(output, y);
            Lap();
            loss.backward();
            Lap();
            optimizer.step();
            Lap();
            using (torch.no_grad())
            {
                lossSum.add_(loss.detach() * 64);
                correct.add_(output.argmax(1).eq(y).sum());
            }
            Lap();
        }
        total.Stop();
        double perBatch = total.Elapsed.TotalMilliseconds / measured;
        Console.WriteLine();
        Console.WriteLine($"## Training step at batch 64: {perBatch:F2} ms per batch = {64 / perBatch * 1000:F0} images/s ({measured} batches after {warmup} warm-up)");
        Console.WriteLine("| phase | ms per batch | share |");
        Console.WriteLine("|---|---|---|");
        for (int i = 0; i < phases.Length; i++)
        {
            Console.WriteLine($"| {phases[i]} | {spent[i] / measured:F3} | {spent[i] / measured / perBatch:P0} |");
        }
    }

    /// <summary>One Predict of a 200x200 PNG, stage by stage.</summary>
    private static void SinglePredict()
    {
        byte[] png = MicroBenchmarks.DigitPng();
        using var classifier = DigitClassifier.LoadPretrained();
        var preprocessor = new DigitImagePreprocessor();
        var decoder = new SafeImageDecoder(new ImageDecodingOptions());
        using var image = decoder.Decode(png, "png");
        var digit = preprocessor.Process(png);
        double decode = Median(() => decoder.Decode(png, "png").Dispose(), 300);
        double preprocess = Median(() => preprocessor.Process(image), 300);
        double forward = Median(() => classifier.Predict(digit), 300);
        double whole = Median(() => classifier.Predict(png), 300);
        Console.WriteLine();
        Console.WriteLine("## One Predict of a 200x200 PNG, microseconds (medians)");
        Console.WriteLine("| decode (ImageSharp) | preprocess | forward at batch 1 (incl. softmax) | end to end |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| {decode:F0} | {preprocess:F0} | {forward:F0} | {whole:F0} |");
    }

    /// <summary>The cost of touching fresh memory here, and the idx load that used to be bound by it.</summary>
    private static void PageFaults(string mnist)
    {
        Console.WriteLine();
        Console.WriteLine("## Page faults (first-touch memory)");
        for (int round = 1; round <= 3; round++)
        {
            long faults = MinorFaults();
            var watch = Stopwatch.StartNew();
            var managed = GC.AllocateUninitializedArray<byte>(47_040_000);
            Array.Fill(managed, (byte)1);
            double managedMs = watch.Elapsed.TotalMilliseconds;
            long managedFaults = MinorFaults() - faults;
            GC.KeepAlive(managed);
            faults = MinorFaults();
            watch.Restart();
            using (var train = MnistDataset.Load(mnist, MnistSplit.Train))
            {
                watch.Stop();
            }
            Console.WriteLine($"round {round}: a fresh 47 MB managed array: {managedMs:F0} ms, {managedFaults} faults; load the training idx files (huge pages): {watch.Elapsed.TotalMilliseconds:F0} ms, {MinorFaults() - faults} faults");
            GC.Collect();
        }
    }

    private static long MinorFaults() =>
        long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7], CultureInfo.InvariantCulture);

    /// <summary>Median microseconds of <paramref name="action"/> over 9 rounds of <paramref name="reps"/> calls.</summary>
    internal static double Median(Action action, int reps)
    {
        for (int i = 0; i < Math.Max(3, reps / 10); i++)
        {
            action();
        }
        var rounds = new double[9];
        for (int r = 0; r < rounds.Length; r++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
            {
                action();
            }
            rounds[r] = watch.Elapsed.TotalMilliseconds * 1000 / reps;
        }
        Array.Sort(rounds);
        return rounds[rounds.Length / 2];
    }
}
