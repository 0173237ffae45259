using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistCnn.Core.Benchmarks;

/// <summary>In-process (the TorchSharp natives stay loaded), short runs: idx load, preprocessing, single and batch predict.</summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class MicroBenchmarks
{
    private string _mnist = "";
    private byte[] _png = [];
    private float[] _one = [];
    private float[] _batch = [];
    private DigitClassifier _classifier = null!;
    private readonly DigitImagePreprocessor _preprocessor = new();

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10));
            AddColumn(StatisticColumn.Median); // the targets are medians
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _mnist = Environment.GetEnvironmentVariable("MNISTCNN_BENCH_DATA") ?? "data/mnist";
        _classifier = DigitClassifier.LoadPretrained();
        _png = DigitPng();
        using var test = MnistDataset.Load(_mnist, MnistSplit.Test);
        _batch = new float[BatchImages * MnistFormat.PixelsPerImage];
        for (int i = 0; i < BatchImages; i++)
        {
            test.GetNormalizedPixels(i).CopyTo(_batch, i * MnistFormat.PixelsPerImage);
        }
        _one = _batch[..MnistFormat.PixelsPerImage];
    }

    [GlobalCleanup]
    public void Cleanup() => _classifier.Dispose();

    public const int BatchImages = 10_000;

    /// <summary>A 200x200 PNG of a dark handwritten-looking 7 on white paper.</summary>
    internal static byte[] DigitPng()
    {
        using var image = new Image<Rgba32>(200, 200, new Rgba32(255, 255, 255));
        for (int y = 40; y < 160; y++)
        {
            for (int x = 0; x < 200; x++)
            {
                bool bar = y < 56 && x > 50 && x < 150;
                bool stem = Math.Abs(x - (150 - ((y - 40) * 0.6))) < 8;
                if (bar || stem)
                {
                    image[x, y] = new Rgba32(20, 20, 20);
                }
            }
        }
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    [Benchmark(Description = "Load 70,000 MNIST images from raw idx files")]
    public int LoadIdx()
    {
        using var train = MnistDataset.Load(_mnist, MnistSplit.Train);
        using var test = MnistDataset.Load(_mnist, MnistSplit.Test);
        return train.Count + test.Count;
    }

    [Benchmark(Description = "Preprocess a 200x200 PNG (decode + preprocess)")]
    public PreprocessedDigit Preprocess() => _preprocessor.Process(_png);

    [Benchmark(Description = "Predict a 200x200 PNG end to end")]
    public DigitPrediction PredictPng() => _classifier.Predict(_png);

    [Benchmark(Description = "Predict one normalized 28x28 image")]
    public DigitPrediction PredictOne() => _classifier.Predict(_one);

    [Benchmark(Description = "PredictBatch 10,000 normalized images", OperationsPerInvoke = BatchImages)]
    public int PredictBatch() => _classifier.PredictBatch(_batch).Count;
}
