using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using MnistCnn.Core.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// <c>-- read-profile</c>: where the time of a read goes, stage by stage, over the nine 6-digit 600 x 150 PNGs that
/// <c>-- read</c> times (the same generator and seed); means per read after warm-up.
/// </summary>
internal static class ReadProfile
{
    public static void Run(string mnistDirectory)
    {
        using var test = MnistDataset.Load(mnistDirectory, MnistSplit.Test);
        using var classifier = OnnxDigitClassifier.LoadPretrained();
        var reader = new DigitReader(classifier);
        var random = new Random(6);
        var images = new List<byte[]>();
        for (int n = 0; n < 9; n++)
        {
            var (line, _) = ComposedNumbers.Compose(test, Enumerable.Range(0, 6).Select(_ => ComposedNumbers.EvaluationDigit(random, test.Count)).ToList(), Spacing.Apart, random);
            using (line)
            {
                line.Mutate(c => c.Resize(600, 150));
                using var ms = new MemoryStream();
                line.SaveAsPng(ms);
                images.Add(ms.ToArray());
            }
        }
        var t = new double[8];
        string[] names = ["decode+ink", "components", "split", "spans/crop", "thicken", "scale", "centre", "model"];
        for (int rep = 0; rep < 300; rep++)
        {
            foreach (var image in images)
            {
                long a = Stopwatch.GetTimestamp();
                var ink = classifier.Preprocessor.InkOf(image, "p");
                long b = Stopwatch.GetTimestamp();
                using var comps = InkComponents.Find(ink, 500, "p");
                long c = Stopwatch.GetTimestamp();
                var (pieces, lh) = LineSegmenter.Split(comps);
                long d = Stopwatch.GetTimestamp();
                var crops = DigitReader.Spans(comps, pieces, lh).Select(sp => sp.Crop).ToList();
                long e = Stopwatch.GetTimestamp();
                var thick = crops.Select(StrokeWidth.ThickenThin).ToList();
                long f = Stopwatch.GetTimestamp();
                var scaled = thick.Select(x => BicubicResampler.ScaleToBox(x, 20)).ToList();
                long g = Stopwatch.GetTimestamp();
                var inputs = scaled.Select(x => new PreprocessedDigit(MassCentring.Centre(x))).ToList();
                long hh = Stopwatch.GetTimestamp();
                classifier.PredictBatch(inputs);
                long i = Stopwatch.GetTimestamp();
                DigitImagePreprocessor.ReturnInk(ink);
                if (rep >= 100)
                {
                    long[] marks = [a, b, c, d, e, f, g, hh, i];
                    for (int k = 0; k < 8; k++)
                    {
                        t[k] += Stopwatch.GetElapsedTime(marks[k], marks[k + 1]).TotalMilliseconds / (200.0 * images.Count);
                    }
                }
            }
        }
        double thin = 0, thick2 = 0;
        int thinCount = 0, thickCount = 0;
        long thickPixels = 0;
        foreach (var image in images)
        {
            var ink = classifier.Preprocessor.InkOf(image, "p");
            using var comps = InkComponents.Find(ink, 500, "p");
            var (pieces, lh) = LineSegmenter.Split(comps);
            foreach (var (_, _, crop, _) in DigitReader.Spans(comps, pieces, lh))
            {
                for (int r = 0; r < 50; r++)
                {
                    StrokeWidth.ThickenThin(crop);
                }
                long a = Stopwatch.GetTimestamp();
                GrayImage result = default;
                for (int r = 0; r < 200; r++)
                {
                    result = StrokeWidth.ThickenThin(crop);
                }
                double ms = Stopwatch.GetElapsedTime(a).TotalMilliseconds / 200;
                if (ReferenceEquals(result.Pixels, crop.Pixels))
                {
                    thin += ms;
                    thinCount++;
                }
                else
                {
                    thick2 += ms;
                    thickCount++;
                    thickPixels += result.Pixels.Length;
                }
            }
            DigitImagePreprocessor.ReturnInk(ink);
        }
        Console.WriteLine($"thicken: {thinCount} crops kept, {thin / Math.Max(1, thinCount) * 1000:F1} us each; {thickCount} thickened, {thick2 / Math.Max(1, thickCount) * 1000:F1} us each, {thickPixels / Math.Max(1, thickCount)} px each");
        Console.WriteLine("per read (ms): " + string.Join(", ", names.Select((n, k) => $"{n} {t[k]:F3}")) + $"; total {t.Sum():F2}");
    }
}
