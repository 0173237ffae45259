using System.Diagnostics;
using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Inference;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// The ONNX Runtime classifier beside the TorchSharp one, in one process: one Predict of a 200x200 PNG end to end, the
/// model step alone at batch 1, and PredictBatch throughput; then the published size of the web sample per backend.
/// </summary>
internal static class OnnxHarness
{
    public static void Run(string mnist)
    {
        byte[] png = MicroBenchmarks.DigitPng();
        using var test = MnistDataset.Load(mnist, MnistSplit.Test);
        var batch = new float[test.Count * MnistFormat.PixelsPerImage];
        test.CopyNormalizedPixels(0, test.Count, batch);
        float[] one = batch[..MnistFormat.PixelsPerImage];

        Console.WriteLine("## ONNX Runtime vs TorchSharp classifier (same process, medians of 9 rounds)");
        using var torchClassifier = DigitClassifier.LoadPretrained();
        // What an app gets without asking: the ONNX backend on one thread below 128 images, on ONNX Runtime's pool above.
        using var onnx = OnnxDigitClassifier.LoadPretrained();
        Compare("the library's defaults (torch: libtorch's threads)", torchClassifier, onnx, png, one, batch);

        // ONNX Runtime's own default for every call: one intra-op thread per core.
        using var onnxAllCores = OnnxDigitClassifier.LoadPretrained(intraOpThreads: Environment.ProcessorCount);
        Compare("runtimes' default threads", torchClassifier, onnxAllCores, png, one, batch);

        // What a web endpoint does (the web sample's setting): one intra-op thread.
        TorchSharp.torch.set_num_threads(1);
        using var onnxOneThread = OnnxDigitClassifier.LoadPretrained(intraOpThreads: 1);
        Compare("one intra-op thread", torchClassifier, onnxOneThread, png, one, batch);
        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
    }

    private static void Compare(string setting, DigitClassifier torchClassifier, OnnxDigitClassifier onnx, byte[] png, float[] one, float[] batch)
    {
        double torchPng = ProfileHarness.Median(() => torchClassifier.Predict(png), 300);
        double onnxPng = ProfileHarness.Median(() => onnx.Predict(png), 300);
        double torchStep = ProfileHarness.Median(() => torchClassifier.Predict(one), 1000);
        double onnxStep = ProfileHarness.Median(() => onnx.Predict(one), 1000);
        double torchBatch = ProfileHarness.Median(() => torchClassifier.PredictBatch(batch), 1);
        double onnxBatch = ProfileHarness.Median(() => onnx.PredictBatch(batch), 1);
        int images = batch.Length / MnistFormat.PixelsPerImage;
        Console.WriteLine($"### {setting}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Predict(200x200 PNG), end to end: torch {torchPng:F0} µs, onnx {onnxPng:F0} µs, onnx/torch {onnxPng / torchPng:F2} (target <= 0.80)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model step, batch 1:              torch {torchStep:F0} µs, onnx {onnxStep:F0} µs, onnx/torch {onnxStep / torchStep:F2} (target <= 0.50)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PredictBatch, {images} images:    torch {images / (torchBatch / 1e6):F0} images/s, onnx {images / (onnxBatch / 1e6):F0} images/s, onnx/torch {torchBatch / onnxBatch:F2} (target >= 1.5)"));
    }

    /// <summary>Publishes the web sample for linux-x64, framework-dependent, once per backend, and prints each folder's size.</summary>
    public static void PublishSizes(string repoRoot)
    {
        Console.WriteLine("## Published web sample (linux-x64, framework-dependent)");
        string work = Path.Combine(Path.GetTempPath(), "mnistcnn-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (string backend in new[] { "onnx", "torch" })
            {
                string output = Path.Combine(work, backend);
                var psi = new ProcessStartInfo("dotnet", ["publish", Path.Combine(repoRoot, "samples", "MnistCnn.Web"), "-c", "Release", "-r", "linux-x64", "--self-contained", "false", $"-p:MnistCnnBackend={backend}", "-o", output, "-v", "q", "-nologo"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                using var process = Process.Start(psi)!;
                string log = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    Console.WriteLine($"{backend}: publish failed: {log}");
                    continue;
                }
                var files = new DirectoryInfo(output).GetFiles("*", SearchOption.AllDirectories);
                long bytes = files.Sum(f => f.Length);
                var largest = files.OrderByDescending(f => f.Length).Take(3).Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name} {f.Length / 1e6:F0} MB"));
                bool libtorch = files.Any(f => f.Name.StartsWith("libtorch", StringComparison.Ordinal));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{backend}: {bytes / 1e6:F1} MB in {files.Length} files, libtorch {(libtorch ? "present" : "absent")}; largest: {string.Join(", ", largest)}{(backend == "onnx" ? " (target <= 40 MB)" : "")}"));
            }
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }
}
