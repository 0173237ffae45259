using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using MnistCnn.Core.Tests;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// <c>-- read-digits</c>: how much the reader loses on a number of one digit, against the model on the raw MNIST image:
/// single MNIST test digits composed and captured as <c>-- read</c> does (apart, and low-resolution), read whole, with the
/// mistakes counted by kind (a digit cut in two, or misread); and <c>Predict</c> on the tests' synthetic real-world
/// digits per style, to check that a preprocessing change keeps them.
/// </summary>
internal static class ReadDigitsProbe
{
    public static void Run(string mnistDirectory, int count, string? saveFailures, string? model, bool readPairs)
    {
        using var test = MnistDataset.Load(mnistDirectory, MnistSplit.Test);
        using var classifier = model is null ? OnnxDigitClassifier.LoadPretrained() : OnnxDigitClassifier.FromFile(model);
        var reader = new DigitReader(classifier, readPairs);

        var byStyle = new SortedDictionary<string, (int Right, int Total)>(StringComparer.Ordinal);
        foreach (var sample in RealWorldDigits.Generate(30))
        {
            (int right, int total) = byStyle.GetValueOrDefault(sample.Style.ToString());
            byStyle[sample.Style.ToString()] = (right + (classifier.Predict(sample.Encoded).Digit == sample.Digit ? 1 : 0), total + 1);
        }
        Console.WriteLine("read-digits: Predict on synthetic real-world digits: " + string.Join(", ", byStyle.Select(s => $"{s.Key} {s.Value.Right}/{s.Value.Total}")));

        count = Math.Min(count, test.Count);
        var raw = classifier.PredictBatch(Enumerable.Range(0, count).Select(i => new PreprocessedDigit(test.GetPixels(i).Select(b => b / 255f).ToArray())).ToList());
        int rawRight = Enumerable.Range(0, count).Count(i => raw[i].Digit == test.GetLabel(i));
        foreach (var spacing in new[] { Spacing.Apart, Spacing.LowRes })
        {
            var random = new Random(5);
            int right = 0, split = 0, refused = 0;
            var mistakes = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string label = test.GetLabel(i).ToString(CultureInfo.InvariantCulture);
                var style = (CaptureStyle)(i % 3);
                var (encoded, _) = ComposedNumbers.Encode(test, [i], spacing, style, random);
                string read;
                try
                {
                    read = reader.Read(encoded).Text;
                }
                catch (DigitImageException)
                {
                    refused++;
                    continue;
                }
                if (read == label)
                {
                    right++;
                    continue;
                }
                split += read.Length > 1 ? 1 : 0;
                string key = $"{label}->{read}";
                mistakes[key] = mistakes.GetValueOrDefault(key) + 1;
                if (saveFailures is not null)
                {
                    Directory.CreateDirectory(saveFailures);
                    File.WriteAllBytes(Path.Combine(saveFailures, $"{spacing}-{i}-{label}-read-{read}.{(style == CaptureStyle.Photo ? "jpg" : "png")}"), encoded);
                }
            }
            Console.WriteLine($"{spacing.ToString().ToLowerInvariant(),-7} {count} single MNIST test digits: read right {right / (double)count:P2} " +
                $"(the model on the raw images {rawRight / (double)count:P2}); wrong: {split} cut into several digits, {count - right - split - refused} misread, {refused} refused");
            Console.WriteLine("        most frequent: " + string.Join(", ", mistakes.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Take(12).Select(m => $"{m.Key} x{m.Value}")));
        }
    }
}
