using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// <c>-- read-profile</c>: where the time of a read goes, stage by stage, over the nine 6-digit 600 x 150 PNGs that
/// <c>-- read</c> times (the same generator and seed); means per read after warm-up.
/// </summary>
internal static class ReadProfile
{
    public static void Run(string mnistDirectory)
    {
        const int warmUp = 100, measured = 200;
        using var test = MnistDataset.Load(mnistDirectory, MnistSplit.Test);
        using var classifier = OnnxDigitClassifier.LoadPretrained();
        var images = new List<byte[]>();
        foreach (var (line, _) in ReadHarness.SpeedNumbers(test))
        {
            using (line)
            {
                images.Add(ReadHarness.Png(line));
            }
        }

        // The reader's stages one by one (DigitReader.Analyse, with Normalize split into its own stages).
        string[] stages = ["decode+ink", "form lines", "components", "cuts", "candidate crops", "thicken", "scale", "centre", "model", "pair inputs", "pair model"];
        var milliseconds = new double[stages.Length];
        var crops = new List<GrayImage>();
        int pairCount = 0;
        for (int round = 0; round < warmUp + measured; round++)
        {
            foreach (var image in images)
            {
                long start = Stopwatch.GetTimestamp();
                var ink = classifier.Preprocessor.InkOf(image, "profile");
                long inked = Stopwatch.GetTimestamp();
                FormLines.Erase(ink, DigitReader.InkThreshold);
                long erased = Stopwatch.GetTimestamp();
                using var components = InkComponents.Find(ink, DigitReader.InkThreshold, DigitReader.MaxComponents, "profile");
                long found = Stopwatch.GetTimestamp();
                var (pieces, lineHeight) = LineSegmenter.Split(components);
                long cut = Stopwatch.GetTimestamp();
                var spans = DigitReader.Spans(components, pieces, lineHeight).ToList();
                var candidates = spans.Select(span => span.Crop).ToList();
                long cropped = Stopwatch.GetTimestamp();
                var thickened = candidates.Select(crop => StrokeWidth.ThickenThin(crop)).ToList();
                long thick = Stopwatch.GetTimestamp();
                var scaled = thickened.Select(crop => BicubicResampler.ScaleToBox(crop, DigitImagePreprocessor.Box)).ToList();
                long scaledAt = Stopwatch.GetTimestamp();
                var inputs = scaled.Select(crop => new PreprocessedDigit(MassCentring.Centre(crop))).ToList();
                long centred = Stopwatch.GetTimestamp();
                classifier.PredictBatch(inputs);
                long predicted = Stopwatch.GetTimestamp();
                // From the crops thickened above, as the reader thickens a candidate once for both models.
                var wide = Enumerable.Range(0, spans.Count).Where(i => DigitReader.MayHoldTwo(pieces, spans[i].From, spans[i].To, spans[i].Box, lineHeight)).ToList();
                var pairInputs = new float[wide.Count * PairInput.Pixels];
                for (int i = 0; i < wide.Count; i++)
                {
                    PairInput.NormalizeThickened(thickened[wide[i]], pairInputs.AsSpan(i * PairInput.Pixels, PairInput.Pixels));
                }
                long pairNormalized = Stopwatch.GetTimestamp();
                classifier.PairProbabilities(pairInputs);
                long pairPredicted = Stopwatch.GetTimestamp();
                DigitImagePreprocessor.ReturnInk(ink);
                if (round == 0)
                {
                    crops.AddRange(candidates);
                    pairCount += wide.Count;
                }
                if (round >= warmUp)
                {
                    long[] marks = [start, inked, erased, found, cut, cropped, thick, scaledAt, centred, predicted, pairNormalized, pairPredicted];
                    for (int k = 0; k < stages.Length; k++)
                    {
                        milliseconds[k] += Stopwatch.GetElapsedTime(marks[k], marks[k + 1]).TotalMilliseconds / (measured * images.Count);
                    }
                }
            }
        }

        // Thickening, crop by crop: the crops kept as they are (only the stroke-width estimate) and those dilated.
        double keptMs = 0, dilatedMs = 0;
        int kept = 0, dilated = 0;
        foreach (var crop in crops)
        {
            var result = crop;
            for (int round = 0; round < warmUp; round++)
            {
                result = StrokeWidth.ThickenThin(crop);
            }
            long begin = Stopwatch.GetTimestamp();
            for (int round = 0; round < measured; round++)
            {
                result = StrokeWidth.ThickenThin(crop);
            }
            double each = Stopwatch.GetElapsedTime(begin).TotalMilliseconds / measured;
            bool same = ReferenceEquals(result.Pixels, crop.Pixels);
            (keptMs, dilatedMs) = same ? (keptMs + each, dilatedMs) : (keptMs, dilatedMs + each);
            (kept, dilated) = same ? (kept + 1, dilated) : (kept, dilated + 1);
        }
        Console.WriteLine($"read-profile: {images.Count} numbers, {crops.Count} candidates, {pairCount} to the pair model; thickening: {kept} kept, {keptMs / Math.Max(1, kept) * 1000:F1} us each, " +
            $"{dilated} dilated, {dilatedMs / Math.Max(1, dilated) * 1000:F1} us each");
        Console.WriteLine("per read (ms): " + string.Join(", ", stages.Select((stage, k) => $"{stage} {milliseconds[k]:F3}")) + $"; total {milliseconds.Sum():F2}");
    }
}
