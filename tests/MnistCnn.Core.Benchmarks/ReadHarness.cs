using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using MnistCnn.Core.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SkiaSharp;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// <c>-- read</c>: whole numbers read exactly, per condition and per length, by the reader on the ONNX backend (also told
/// each number's length) and by Tesseract 5 on the same images; then reading speed against one single-digit Predict.
/// Numbers come from the evaluation half of the MNIST test digits (odd indexes; never training digits, never the half
/// that tunes the costs) composed by the evaluation's own generator, and from
/// handwriting-style fonts of Debian's fonts-* packages; each is captured as a scan, a photo or a canvas export.
/// </summary>
internal static class ReadHarness
{
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
        "/usr/share/fonts/truetype/breip/Breip.ttf",
        "/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf",
        "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
        "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
        "/usr/share/fonts/truetype/kristi/Kristi.ttf",
    ];

    /// <summary>
    /// Reads <paramref name="perCondition"/> numbers per condition, the c-th condition's drawn from seed
    /// <paramref name="seed"/> + c: the documented tables' 1000, or another for a second set of the same kinds (other
    /// numbers of the same evaluation digits and fonts).
    /// </summary>
    public static void Run(string mnistDirectory, int perCondition, bool tesseract, string? saveFailures, string? model, bool readPairs, int seed = 1000)
    {
        using var test = MnistDataset.Load(mnistDirectory, MnistSplit.Test);
        using var classifier = model is null ? OnnxDigitClassifier.LoadPretrained() : OnnxDigitClassifier.FromFile(model);
        var reader = new DigitReader(classifier, readPairs);
        bool haveTesseract = tesseract && File.Exists("/usr/bin/tesseract");
        var fonts = FontFiles.Where(File.Exists).ToList();
        Console.WriteLine($"read: {perCondition} numbers per condition, lengths 1-10, styles scan/photo/canvas in turn; reader on ONNX (" + (model ?? "embedded model") + (readPairs ? ", with" : ", without") + " the pair model); " +
            (haveTesseract ? "Tesseract 5 --psm 7 digits whitelist beside it" : "no Tesseract (apt-get install tesseract-ocr)") + $"; {fonts.Count} handwriting fonts");

        var conditions = new List<(string Name, Func<Random, int, CaptureStyle, (byte[], string)> Make)>();
        foreach (var spacing in Enum.GetValues<Spacing>())
        {
            conditions.Add((spacing.ToString().ToLowerInvariant(), (random, length, style) =>
                ComposedNumbers.Encode(test, Enumerable.Range(0, length).Select(_ => ComposedNumbers.EvaluationDigit(random, test.Count)).ToList(), spacing, style, random)));
        }
        string font = "";
        if (fonts.Count > 0)
        {
            conditions.Add(("fonts", (random, length, style) =>
            {
                string file = fonts[random.Next(fonts.Count)];
                font = Path.GetFileNameWithoutExtension(file);
                return FontNumber(file, length, style, random);
            }
            ));
        }

        string scratch = Directory.CreateTempSubdirectory("mnistcnn-read-").FullName;
        Console.WriteLine($"{"condition",-10} {"reader",8} {"2-8 dig",8} {"digit err",9} {"len known",9} {"2-8 dig",8} {"tesseract",9} {"2-8 dig",8} {"digit err",9}   by length (reader/tesseract)");
        try
        {
            for (int c = 0; c < conditions.Count; c++)
            {
                var (name, make) = conditions[c];
                var random = new Random(seed + c);
                var ours = new Tally();
                var knowingLength = new Tally();
                var theirs = new Tally();
                var byFont = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
                for (int n = 0; n < perCondition; n++)
                {
                    int length = 1 + (n % 10);
                    var style = (CaptureStyle)(n % 3);
                    var (encoded, text) = make(random, length, style);
                    string read = ReadOrEmpty(reader, encoded);
                    ours.Add(text, read);
                    knowingLength.Add(text, ReadOrEmpty(reader, encoded, ReadOptions.Exactly(text.Length)));
                    if (name == "fonts")
                    {
                        (byFont.TryGetValue(font, out var tally) ? tally : byFont[font] = new Tally()).Add(text, read);
                    }
                    if (!ours.LastExact && saveFailures is not null)
                    {
                        Directory.CreateDirectory(saveFailures);
                        File.WriteAllBytes(Path.Combine(saveFailures, $"{name}{(name == "fonts" ? "-" + font : "")}-{n:D3}-{text}-read-{(read.Length == 0 ? "none" : read)}.{(style == CaptureStyle.Photo ? "jpg" : "png")}"), encoded);
                    }
                    if (haveTesseract)
                    {
                        theirs.Add(text, Tesseract(encoded, Path.Combine(scratch, "n.png")));
                    }
                }
                Console.WriteLine($"{name,-10} {ours.Exact,8:P1} {ours.ExactMid,8:P1} {ours.DigitErrors,9:P1} {knowingLength.Exact,9:P1} {knowingLength.ExactMid,8:P1} " +
                    (haveTesseract ? $"{theirs.Exact,9:P1} {theirs.ExactMid,8:P1} {theirs.DigitErrors,9:P1}" : $"{"-",9} {"-",8} {"-",9}") +
                    "   " + string.Join(" ", Enumerable.Range(1, 10).Select(l => $"{l}:{ours.ByLength(l):P0}" + (haveTesseract ? $"/{theirs.ByLength(l):P0}" : ""))));
                if (byFont.Count > 0)
                {
                    Console.WriteLine($"{"",-10} by font (reader): {string.Join(", ", byFont.Select(f => $"{f.Key} {f.Value.Exact:P0} of {f.Value.Count}"))}");
                }
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
        Speed(test, classifier, reader, readPairs);
    }

    /// <summary>
    /// 6-digit 600 x 150 PNGs read end to end, against one Predict of a single digit: in a PNG of the same size (the
    /// number with all but its first digit painted out), and cropped to that digit (150 px tall). Medians per image,
    /// timed in blocks that take turns; a number's cost grows with its candidates (a wide digit gets cuts), so several
    /// numbers are timed. Beside the reader as shipped (a spare core taken), the same reader on one thread; then reads per
    /// second with two callers at once, both ways.
    /// </summary>
    private static void Speed(MnistDataset test, IDigitClassifier classifier, DigitReader reader, bool readPairs)
    {
        var inTurn = new DigitReader(classifier, readPairs) { UseSpareCore = false };
        var ratios = new List<(double Same, double Cropped, double InTurn)>();
        var numbers = new List<byte[]>();
        double totalReads = 0, totalSeconds = 0;
        foreach (var (line, text) in SpeedNumbers(test))
        {
            byte[] number, sameSize, cropped;
            using (line)
            {
                number = Png(line);
                var digits = reader.Read(number).Digits;
                int firstEnd = digits.Count > 1 ? digits[0].Bounds.Right + ((digits[1].Bounds.Left - digits[0].Bounds.Right) / 2) : line.Width / 6;
                using var one = line.Clone(c => c.Crop(new Rectangle(0, 0, Math.Min(line.Width, firstEnd + 30), 150)));
                cropped = Png(one);
                for (int y = 0; y < line.Height; y++)
                {
                    for (int x = firstEnd; x < line.Width; x++)
                    {
                        line[x, y] = new L8(255);
                    }
                }
                sameSize = Png(line);
            }
            numbers.Add(number);
            string read = reader.Read(number).Text;
            int candidates = reader.Analyse(number, "speed").Candidates.Count;
            // After warm-up (tiered compilation settles), in blocks that take turns, so that all four see the same machine.
            var medians = BlockMedians([() => reader.Read(number), () => classifier.Predict(sameSize), () => classifier.Predict(cropped), () => inTurn.Read(number)], 150, ratios.Count == 0 ? 2 : 0.5);
            var (readMs, predictSame, predictCropped, inTurnMs) = (medians[0], medians[1], medians[2], medians[3]);
            ratios.Add((readMs / predictSame, readMs / predictCropped, inTurnMs / predictSame));
            totalReads += 150;
            totalSeconds += 150 * readMs / 1000;
            Console.WriteLine($"speed: {text} (read as {read}, {candidates} candidates) {readMs:F2} ms; Predict same size {predictSame:F2} ms: {readMs / predictSame:F2}x; cropped {predictCropped:F2} ms: {readMs / predictCropped:F2}x; " +
                $"passes in turn {inTurnMs:F2} ms: {inTurnMs / predictSame:F2}x");
        }
        var same = ratios.Select(r => r.Same).Order().ToList();
        var crop = ratios.Select(r => r.Cropped).Order().ToList();
        var turn = ratios.Select(r => r.InTurn).Order().ToList();
        Console.WriteLine($"speed: {ratios.Count} 6-digit 600x150 PNGs, read / one same-size Predict: median {same[ratios.Count / 2]:F2}x, best {same[0]:F2}x, worst {same[^1]:F2}x (target <= 3x); " +
            $"read / cropped Predict: median {crop[ratios.Count / 2]:F2}x; {totalReads / totalSeconds:F0} reads/s for one caller; the passes in turn: median {turn[ratios.Count / 2]:F2}x, best {turn[0]:F2}x, worst {turn[^1]:F2}x");
        Console.WriteLine($"speed: two callers at once, reading the nine in a loop for 3 s each way: {ReadsPerSecond(reader, numbers, 2):F0} reads/s with the passes side by side, {ReadsPerSecond(inTurn, numbers, 2):F0} in turn");
        ManyCandidates(test, reader, inTurn);
    }

    /// <summary>
    /// Numbers of 20 touching digits that make 128 candidates or more (20 broken digits make 30-87): their digit-model
    /// pass goes to the pooled ONNX session (every core), beside the pair model's on the reader's side thread. The first
    /// three such numbers' reads, against the same reader without its side thread.
    /// </summary>
    private static void ManyCandidates(MnistDataset test, DigitReader reader, DigitReader inTurn)
    {
        var random = new Random(20);
        for (int n = 0, timed = 0; n < 40 && timed < 3; n++)
        {
            var (encoded, text) = ComposedNumbers.Encode(test, Enumerable.Range(0, 20).Select(_ => ComposedNumbers.EvaluationDigit(random, test.Count)).ToList(), Spacing.Touching, CaptureStyle.Scan, random);
            int candidates;
            try
            {
                candidates = reader.Analyse(encoded, "speed").Candidates.Count;
            }
            catch (DigitImageException)
            {
                continue;
            }
            if (candidates < 128)
            {
                continue;
            }
            timed++;
            string read = reader.Read(encoded).Text;
            var medians = BlockMedians([() => reader.Read(encoded), () => inTurn.Read(encoded)], 30, 0.5);
            Console.WriteLine($"speed: {text} (20 touching digits, read as {read}, {candidates} candidates) {medians[0]:F2} ms; without the side thread {medians[1]:F2} ms");
        }
    }

    /// <summary>Reads per second of <paramref name="callers"/> threads reading <paramref name="numbers"/> over and over (after a second's warm-up).</summary>
    private static double ReadsPerSecond(DigitReader reader, List<byte[]> numbers, int callers)
    {
        int reads = 0;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, callers).Select(t => new Thread(() =>
        {
            for (int i = t; clock.Elapsed.TotalSeconds < 4; i++)
            {
                reader.Read(numbers[i % numbers.Count]);
                if (clock.Elapsed.TotalSeconds >= 1)
                {
                    Interlocked.Increment(ref reads);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return reads / 3.0;
    }

    /// <summary>The nine seeded 6-digit numbers, digits apart, 600 x 150, that reading speed is timed on (the caller disposes each).</summary>
    internal static IEnumerable<(Image<L8> Line, string Text)> SpeedNumbers(MnistDataset test)
    {
        var random = new Random(6);
        for (int n = 0; n < 9; n++)
        {
            var (line, text) = ComposedNumbers.Compose(test, Enumerable.Range(0, 6).Select(_ => ComposedNumbers.EvaluationDigit(random, test.Count)).ToList(), Spacing.Apart, random);
            line.Mutate(c => c.Resize(600, 150));
            yield return (line, text);
        }
    }

    internal static byte[] Png(Image image)
    {
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// The median time of each action over <paramref name="runs"/> calls, made in blocks of 30 calls of one action after
    /// another's, so that each is timed in its own steady state (a read leaves a pool thread spinning a while for more
    /// work, which would slow a Predict timed right after it) while all see the same machine over the same minutes.
    /// </summary>
    private static double[] BlockMedians(Action[] actions, int runs, double warmUpSeconds)
    {
        const int block = 30;
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < warmUpSeconds)
        {
            foreach (var action in actions)
            {
                action();
            }
        }
        var times = actions.Select(_ => new double[runs]).ToArray();
        for (int from = 0; from < runs; from += block)
        {
            for (int k = 0; k < actions.Length; k++)
            {
                for (int i = from; i < Math.Min(runs, from + block); i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    actions[k]();
                    times[k][i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
        }
        return [.. times.Select(t => t.Order().ElementAt(runs / 2))];
    }

    private static string ReadOrEmpty(DigitReader reader, byte[] encoded, ReadOptions? options = null)
    {
        try
        {
            return reader.Read(encoded, options).Text;
        }
        catch (DigitImageException)
        {
            return "";
        }
    }

    /// <summary>Tesseract on the image flattened onto white (it does not composite a transparent canvas itself).</summary>
    private static string Tesseract(byte[] encoded, string path)
    {
        using (var image = Image.Load<Rgba32>(encoded))
        using (var flat = new Image<Rgba32>(image.Width, image.Height, new Rgba32(255, 255, 255, 255)))
        {
            flat.Mutate(c => c.DrawImage(image, 1f));
            flat.SaveAsPng(path);
        }
        var start = new ProcessStartInfo("tesseract", ["--psm", "7", "-c", "tessedit_char_whitelist=0123456789", path, "stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new string(output.Where(char.IsAsciiDigit).ToArray());
    }

    /// <summary>A random number of <paramref name="length"/> digits in a handwriting font, 40-110 px, with uneven spacing and baseline.</summary>
    private static (byte[] Encoded, string Text) FontNumber(string fontFile, int length, CaptureStyle style, Random random)
    {
        string text = string.Concat(Enumerable.Range(0, length).Select(_ => (char)('0' + random.Next(10))));
        using var typeface = SKTypeface.FromFile(fontFile);
        using var font = new SKFont(typeface, random.Next(40, 111));
        using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
        float advance = text.Sum(c => font.MeasureText(c.ToString())) + (length * font.Size * 0.2f);
        int width = (int)(advance + (font.Size * 1.5f)), height = (int)(font.Size * 2f);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Black);
            float x = font.Size * 0.6f;
            foreach (char c in text)
            {
                float baseline = (font.Size * 1.35f) + (float)((random.NextDouble() - 0.5) * font.Size * 0.12);
                canvas.DrawText(c.ToString(), x, baseline, font, paint);
                x += font.MeasureText(c.ToString()) + (float)(random.NextDouble() * font.Size * 0.2);
            }
        }
        using var line = Image.LoadPixelData<L8>(bitmap.GetPixelSpan(), width, height);
        return (ComposedNumbers.Capture(line, style, random), text);
    }

    /// <summary>Exact whole-number reads and digit errors (edit distance over true length), overall, for 2-8 digits, and by length.</summary>
    private sealed class Tally
    {
        private readonly List<(string Text, bool Exact, int Errors)> _results = [];

        public bool LastExact => _results[^1].Exact;

        public int Count => _results.Count;

        public double Exact => _results.Count(r => r.Exact) / (double)_results.Count;

        public double ExactMid => Share(r => r.Text.Length is >= 2 and <= 8);

        public double DigitErrors => _results.Sum(r => r.Errors) / (double)_results.Sum(r => r.Text.Length);

        public void Add(string text, string read) => _results.Add((text, text == read, EditDistance(text, read)));

        public double ByLength(int length) => Share(r => r.Text.Length == length);

        private double Share(Func<(string Text, bool Exact, int Errors), bool> filter)
        {
            var chosen = _results.Where(filter).ToList();
            return chosen.Count == 0 ? double.NaN : chosen.Count(r => r.Exact) / (double)chosen.Count;
        }

        private static int EditDistance(string a, string b)
        {
            var row = Enumerable.Range(0, b.Length + 1).ToArray();
            for (int i = 1; i <= a.Length; i++)
            {
                int diagonal = row[0];
                row[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    int above = row[j];
                    row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                    diagonal = above;
                }
            }
            return row[b.Length];
        }
    }
}
