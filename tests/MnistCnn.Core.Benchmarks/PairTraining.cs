using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using MnistCnn.Core.Reading;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// Makes the reader's embedded pair model (<c>src/Reading/README.md</c>, "The pair model"): <c>-- pair-data</c> writes
/// the reader's own wide candidates over lines of MNIST training digits, <c>-- pair-train</c> trains
/// <see cref="DigitPairModule"/> on them, and <c>-- pair-export</c> writes its ONNX graph.
/// </summary>
internal static class PairTraining
{
    private const int HeldBack = 10_000;
    private const int Batch = 128;

    public static void Data(string mnistDirectory, int count, int seed, string output)
    {
        using var train = MnistDataset.Load(mnistDirectory, MnistSplit.Train);
        var (pixels, labels) = TrainingCrops.GeneratePairs(train, count, seed);
        File.WriteAllBytes(output + ".pixels", pixels);
        File.WriteAllBytes(output + ".labels", labels);
        Console.WriteLine($"pair-data: {count} inputs (seed {seed}): {labels.Count(l => l < DigitPairModule.OneDigit)} pairs, "
            + $"{labels.Count(l => l == DigitPairModule.OneDigit)} one digit, {labels.Count(l => l == DigitPairModule.Neither)} neither; SHA-256 {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData([.. pixels, .. labels]))}");
    }

    /// <summary>Adam with a one-cycle schedule (peak 3e-3), batch 128, shifts of up to 2 px; the last 10,000 inputs held back.</summary>
    public static void Train(string data, int epochs, string output)
    {
        torch.manual_seed(1);
        var pixels = File.ReadAllBytes(data + ".pixels");
        var labels = File.ReadAllBytes(data + ".labels");
        int n = labels.Length, trainCount = n - HeldBack;
        using var x = torch.tensor(pixels, [n, 1, DigitPairModule.Height, DigitPairModule.Width]).to(float32).div_(255f);
        using var y = torch.tensor(labels.Select(l => (long)l).ToArray(), [n]);
        using var trainX = x.narrow(0, 0, trainCount);
        using var trainY = y.narrow(0, 0, trainCount);
        using var model = new DigitPairModule();
        int steps = epochs * ((trainCount + Batch - 1) / Batch);
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        var scheduler = optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps: steps, pct_start: 0.25);
        var random = new Random(1);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.train();
            using var order = torch.randperm(trainCount);
            double loss = 0;
            for (int i = 0; i < trainCount; i += Batch)
            {
                using var scope = NewDisposeScope();
                var index = order.narrow(0, i, Math.Min(Batch, trainCount - i));
                var batch = trainX.index_select(0, index).roll([random.Next(-2, 3), random.Next(-2, 3)], [2, 3]);
                var batchLoss = nn.functional.cross_entropy(model.call(batch), trainY.index_select(0, index));
                optimizer.zero_grad();
                batchLoss.backward();
                optimizer.step();
                scheduler.step();
                loss += batchLoss.item<float>() * index.shape[0];
            }
            var (pairs, others) = HeldBackAccuracy(model, x.narrow(0, trainCount, HeldBack), y.narrow(0, trainCount, HeldBack));
            Console.WriteLine($"epoch {epoch}: loss {loss / trainCount:F4}, held back: pairs {pairs:P2}, one digit or neither {others:P2}, {clock.Elapsed.TotalSeconds:F0} s");
        }
        model.save(output);
    }

    /// <summary>The share of held-back pairs read as the right pair, and of the rest read as not a pair.</summary>
    private static (double Pairs, double Others) HeldBackAccuracy(DigitPairModule model, Tensor x, Tensor y)
    {
        model.eval();
        int pairs = 0, pairsRight = 0, others = 0, othersRight = 0;
        using var mode = torch.inference_mode();
        for (int i = 0; i < x.shape[0]; i += 1000)
        {
            using var scope = NewDisposeScope();
            var predicted = model.call(x.narrow(0, i, 1000)).argmax(1).data<long>().ToArray();
            var truth = y.narrow(0, i, 1000).data<long>().ToArray();
            for (int k = 0; k < predicted.Length; k++)
            {
                if (truth[k] < DigitPairModule.OneDigit)
                {
                    pairs++;
                    pairsRight += predicted[k] == truth[k] ? 1 : 0;
                }
                else
                {
                    others++;
                    othersRight += predicted[k] >= DigitPairModule.OneDigit ? 1 : 0;
                }
            }
        }
        return (pairsRight / (double)pairs, othersRight / (double)others);
    }

    public static void Export(string weights, string output)
    {
        using var stream = File.OpenRead(weights);
        using var model = DigitPairModule.Load(stream, weights);
        var graph = OnnxExporter.Build(model.state_dict(), OnnxExporter.Network.Pairs);
        File.WriteAllBytes(output, Google.Protobuf.MessageExtensions.ToByteArray(graph));
        Console.WriteLine($"pair-export: {output}");
    }
}
