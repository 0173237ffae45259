using MnistCnn.Core.Data;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Model;
using TorchSharp;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>The ONNX Runtime classifier against the TorchSharp one, on the whole MNIST test set and real-world images.</summary>
[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class OnnxDigitClassifierTests(MnistFixture mnist, ITestOutputHelper output)
{
    [Fact]
    public void Logits_equal_the_torch_models_within_1e_4_on_the_whole_mnist_test_set()
    {
        using var model = new MnistCnnModule();
        using (var weights = typeof(MnistCnnModule).Assembly.GetManifestResourceStream("MnistCnn.Core.Pretrained.mnist-cnn.bin")!)
        {
            model.LoadWeights(weights, "embedded");
        }
        model.eval();
        using var onnx = OnnxDigitClassifier.LoadPretrained();

        double largest = 0;
        var batch = new float[DigitClassifierBase.BatchSize * MnistFormat.PixelsPerImage];
        for (int start = 0; start < mnist.Test.Count; start += DigitClassifierBase.BatchSize)
        {
            int n = Math.Min(DigitClassifierBase.BatchSize, mnist.Test.Count - start);
            mnist.Test.CopyNormalizedPixels(start, n, batch);
            float[] theirs = onnx.Logits(batch.AsSpan(0, n * MnistFormat.PixelsPerImage), n);
            float[] ours;
            using (torch.inference_mode())
            using (var x = torch.tensor(batch.AsSpan(0, n * MnistFormat.PixelsPerImage).ToArray(), [n, 1, 28, 28]))
            using (var logits = model.call(x))
            {
                ours = logits.data<float>().ToArray();
            }
            for (int i = 0; i < ours.Length; i++)
            {
                largest = Math.Max(largest, Math.Abs(ours[i] - theirs[i]));
            }
        }
        output.WriteLine($"largest logit difference over {mnist.Test.Count} images: {largest:E2}");
        Assert.True(largest <= 1e-4, $"largest difference {largest}");
    }

    [Fact]
    public void By_default_small_calls_run_on_one_thread_and_large_batches_on_the_pool_with_the_same_logits()
    {
        Assert.Equal(1, OnnxDigitClassifier.SessionThreads(0));
        Assert.Equal(3, OnnxDigitClassifier.SessionThreads(3));

        int cores = Math.Max(2, Environment.ProcessorCount);
        using var byDefault = OnnxDigitClassifier.LoadPretrained();
        using var allCores = OnnxDigitClassifier.LoadPretrained(intraOpThreads: cores);
        Assert.False(byDefault.UsesPool(1));
        Assert.False(byDefault.UsesPool(64));
        Assert.True(byDefault.UsesPool(DigitClassifierBase.BatchSize));
        Assert.False(allCores.UsesPool(DigitClassifierBase.BatchSize));

        const int n = 2048, small = 64;
        var batch = new float[n * MnistFormat.PixelsPerImage];
        mnist.Test.CopyNormalizedPixels(0, n, batch);
        float[] pooled = byDefault.Logits(batch, n), explicitThreads = allCores.Logits(batch, n);
        var oneThread = new float[pooled.Length];
        for (int start = 0; start < n; start += small)
        {
            byDefault.Logits(batch.AsSpan(start * MnistFormat.PixelsPerImage, small * MnistFormat.PixelsPerImage), small)
                .CopyTo(oneThread, start * MnistFormat.ClassCount);
        }
        double largest = Math.Max(
            oneThread.Zip(pooled, (a, b) => (double)Math.Abs(a - b)).Max(),
            oneThread.Zip(explicitThreads, (a, b) => (double)Math.Abs(a - b)).Max());
        output.WriteLine($"largest logit difference, one thread in batches of {small} against the pool and {cores} threads, over {n} images: {largest:E2}");
        Assert.True(largest <= 1e-5, $"largest difference {largest}");
    }

    [Fact]
    public void The_embedded_pair_models_give_the_same_probabilities_on_both_backends()
    {
        // The reader's wide candidates over lines of test digits, as the pair model sees them.
        var (bytes, labels) = Reading.TrainingCrops.GeneratePairs(mnist.Test, 2000, seed: 3);
        var inputs = bytes.Select(b => b / 255f).ToArray();
        using var torchClassifier = DigitClassifier.LoadPretrained();
        using var onnx = OnnxDigitClassifier.LoadPretrained();
        float[] ours = torchClassifier.PairProbabilities(inputs)!;
        float[] theirs = onnx.PairProbabilities(inputs)!;
        double largest = 0;
        int agree = 0, right = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var a = ours.AsSpan(i * DigitPairModule.Classes, DigitPairModule.Classes);
            var b = theirs.AsSpan(i * DigitPairModule.Classes, DigitPairModule.Classes);
            for (int c = 0; c < a.Length; c++)
            {
                largest = Math.Max(largest, Math.Abs(a[c] - b[c]));
            }
            int best = a.IndexOf(MaxOf(a));
            agree += best == b.IndexOf(MaxOf(b)) ? 1 : 0;
            right += best == labels[i] || (best >= DigitPairModule.OneDigit && labels[i] >= DigitPairModule.OneDigit) ? 1 : 0;
        }
        output.WriteLine($"{labels.Length} pair inputs: largest probability difference {largest:E2}, same class {agree}, right {right}");
        Assert.True(largest <= 1e-4, $"largest difference {largest}");
        Assert.Equal(labels.Length, agree);
        // A model that reads the pairs, not noise: measured 1,877 of 2,000 (2026-12-03, 720,000-candidate weights).
        Assert.True(right >= 0.85 * labels.Length, $"{right} of {labels.Length} read right");

        static float MaxOf(ReadOnlySpan<float> values)
        {
            float max = float.MinValue;
            foreach (float v in values)
            {
                max = Math.Max(max, v);
            }
            return max;
        }
    }

    [Fact]
    public void Both_backends_recognise_the_same_digits_in_mnist_and_real_world_images()
    {
        using var torchClassifier = DigitClassifier.LoadPretrained();
        using var onnx = OnnxDigitClassifier.LoadPretrained();

        var onnxEvaluation = onnx.Evaluate(mnist.Test);
        var torchEvaluation = torchClassifier.Evaluate(mnist.Test);
        output.WriteLine($"ONNX {onnxEvaluation}, TorchSharp {torchEvaluation}");
        Assert.Equal(torchEvaluation.Misclassified, onnxEvaluation.Misclassified);
        Assert.True(onnxEvaluation.Accuracy >= 0.992, onnxEvaluation.ToString());

        foreach (var sample in RealWorldDigits.Generate(1))
        {
            var viaOnnx = onnx.Predict(sample.Encoded);
            var viaTorch = torchClassifier.Predict(sample.Encoded);
            Assert.Equal(viaTorch.Digit, viaOnnx.Digit);
            Assert.Equal(viaTorch.Confidence, viaOnnx.Confidence, 1e-4f); // a tolerance: rounding both to 4 places can split 0.91955 apart
            Assert.NotNull(viaOnnx.Input);
        }
    }

    [Fact]
    public async Task An_upload_stream_is_read_asynchronously_and_recognised()
    {
        using var onnx = OnnxDigitClassifier.LoadPretrained();
        var sample = RealWorldDigits.Generate(1).First(s => s.Digit == 4);
        await using var stream = new MemoryStream(sample.Encoded);

        var prediction = await onnx.PredictAsync(stream, TestContext.Current.CancellationToken);

        Assert.Equal(4, prediction.Digit);
        Assert.Equal(onnx.Predict(sample.Encoded).Probabilities, prediction.Probabilities);
    }
}
