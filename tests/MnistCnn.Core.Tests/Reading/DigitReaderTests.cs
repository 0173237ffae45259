using System.Diagnostics;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// Whole numbers read from lines of real MNIST test digits (never training digits), and the segmentation's hard cases
/// drawn from them: a touching pair, a broken 5, specks, a 1 beside a 7, a blank image, a field of dots.
/// </summary>
[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class DigitReaderTests(MnistFixture mnist, ITestOutputHelper output)
{
    private static readonly Lazy<DigitClassifier> Pretrained = new(() => DigitClassifier.LoadPretrained());

    private static DigitReader Reader => new(Pretrained.Value);

    /// <summary>The first test-set index of each digit at or after <paramref name="from"/>.</summary>
    private int[] FirstOf(int from, params int[] digits) =>
        digits.Select(d => Enumerable.Range(from, mnist.Test.Count - from).First(i => mnist.Test.GetLabel(i) == d)).ToArray();

    private static int ComponentsOf(Image<L8> image)
    {
        var ink = DigitImagePreprocessor.InkOf(image, "test");
        using var components = InkComponents.Find(ink, DigitReader.InkThreshold, 500, "test");
        DigitImagePreprocessor.ReturnInk(ink);
        return components.All.Count(c => c.Area > 20);
    }

    private double Accuracy(Spacing spacing, int numbers, int seed) => Accuracy(Reader, spacing, numbers, seed);

    /// <summary>
    /// Each number analysed once and decoded with the default costs and with <paramref name="without"/>: how many read
    /// right, and how many with more digits than it has, each way.
    /// </summary>
    private static (int RightWith, int LongerWith, int RightWithout, int LongerWithout) WithAndWithout(ReadingCosts without, IEnumerable<(byte[] Encoded, string Text)> numbers)
    {
        var reader = Reader;
        int rightWith = 0, longerWith = 0, rightWithout = 0, longerWithout = 0;
        foreach (var (encoded, text) in numbers)
        {
            var line = reader.Analyse(encoded, "test");
            string with = DigitReader.Decode(line, ReadingCosts.Default, null, "test").Text;
            string other = DigitReader.Decode(line, without, null, "test").Text;
            (rightWith, longerWith) = (rightWith + (with == text ? 1 : 0), longerWith + (with.Length > text.Length ? 1 : 0));
            (rightWithout, longerWithout) = (rightWithout + (other == text ? 1 : 0), longerWithout + (other.Length > text.Length ? 1 : 0));
        }
        return (rightWith, longerWith, rightWithout, longerWithout);
    }

    private double Accuracy(DigitReader reader, Spacing spacing, int numbers, int seed)
    {
        var random = new Random(seed);
        int exact = 0;
        var watch = Stopwatch.StartNew();
        var failures = new List<string>();
        for (int n = 0; n < numbers; n++)
        {
            var indexes = Enumerable.Range(0, random.Next(2, 9)).Select(_ => random.Next(mnist.Test.Count)).ToList();
            var (image, text) = ComposedNumbers.Compose(mnist.Test, indexes, spacing, random);
            using (image)
            {
                string read = reader.Read(image).Text;
                if (read == text)
                {
                    exact++;
                }
                else if (failures.Count < 8)
                {
                    failures.Add($"{text} read as {read}");
                }
            }
        }
        double accuracy = (double)exact / numbers;
        output.WriteLine($"{spacing}: {exact} of {numbers} numbers of 2-8 MNIST test digits read exactly ({accuracy:P1}), {watch.Elapsed.TotalMilliseconds / numbers:F1} ms per number; e.g. {string.Join(", ", failures)}");
        return accuracy;
    }

    [Fact]
    public void Numbers_of_mnist_test_digits_set_apart_are_read_exactly()
    {
        // Measured 94.7% (2026-12-01); a misread single digit (one that Predict misreads too) is most of the rest.
        Assert.True(Accuracy(Spacing.Apart, 150, seed: 1) >= 0.92);
    }

    [Fact]
    public void Numbers_of_touching_mnist_test_digits_are_read_exactly()
    {
        // Measured 87.3% with the pair model (2026-12-03, 720,000-candidate weights; 76.7% without it): a digit lost or added in a long touching run
        // is the usual failure.
        Assert.True(Accuracy(Spacing.Touching, 150, seed: 2) >= 0.82);
    }

    [Fact]
    public void The_pair_model_reads_touching_numbers_that_cuts_alone_misread()
    {
        using var onnx = OnnxDigitClassifier.LoadPretrained();
        double without = Accuracy(new DigitReader(onnx, readPairs: false), Spacing.Touching, 150, seed: 12);
        double with = Accuracy(new DigitReader(onnx), Spacing.Touching, 150, seed: 12);
        // Measured 88.0% with, 68.7% without (2026-12-03, ONNX backend, 720,000-candidate weights).
        Assert.True(with >= without + 0.08, $"touching numbers read {with:P1} with the pair model, {without:P1} without");
    }

    [Fact]
    public void A_wide_digit_that_the_pair_model_reads_as_one_is_not_cut_in_two()
    {
        // Single test digits, each set as a number of one digit: a wide 2, 0 or 7 gets cuts, and each half reads as a
        // digit. Read with the default costs, and with a cut through such a digit costing no more than any other cut.
        var random = new Random(5);
        const int Digits = 1500;
        var (rightWith, cutWith, rightWithout, cutWithout) = WithAndWithout(
            ReadingCosts.Default with { OneDigitCut = 0 },
            Enumerable.Range(0, Digits).Select(i => ComposedNumbers.Encode(mnist.Test, [i], Spacing.Apart, (CaptureStyle)(i % 3), random)));
        output.WriteLine($"{Digits} single test digits: {rightWith} read right and {cutWith} cut into several with the one-digit cut cost, {rightWithout} and {cutWithout} without");
        Assert.True(rightWith > rightWithout, $"{rightWith} read right with the cost, {rightWithout} without");
        Assert.True(cutWith * 3 <= cutWithout * 2, $"{cutWith} cut into several digits with the cost, {cutWithout} without");
    }

    [Fact]
    public void A_flat_digit_alone_on_its_line_is_read_whole_not_as_two()
    {
        // The test digits at least 1.3 times as wide as tall, each a number of one digit: its own height is the line's, so
        // it is 1.3-1.9 line heights wide and cut into many pieces, and only the whole group reads it as one digit.
        var flat = Enumerable.Range(0, mnist.Test.Count).Where(i =>
        {
            var (_, w, h) = ComposedNumbers.Crop(mnist.Test.GetPixels(i));
            return w >= 1.3 * h;
        }).ToList();
        var reader = Reader;
        var random = new Random(8);
        int right = 0, cut = 0;
        var failures = new List<string>();
        foreach (int i in flat)
        {
            string label = mnist.Test.GetLabel(i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (encoded, _) = ComposedNumbers.Encode(mnist.Test, [i], Spacing.Apart, (CaptureStyle)(i % 3), random);
            string read = reader.Read(encoded).Text;
            right += read == label ? 1 : 0;
            cut += read.Length > 1 ? 1 : 0;
            if (read != label)
            {
                failures.Add($"#{i} {label} read as {read}");
            }
        }
        output.WriteLine($"{flat.Count} flat test digits alone: {right} read right, {cut} cut into several; {string.Join(", ", failures)}");
        Assert.True(flat.Count >= 20, $"only {flat.Count} flat digits");
        Assert.True(cut * 10 <= flat.Count, $"{cut} of {flat.Count} flat digits cut into several: {string.Join(", ", failures)}");
    }

    [Fact]
    public void A_digit_set_apart_from_its_neighbours_is_seldom_read_as_a_touching_pair()
    {
        // Numbers of 2-8 test digits set apart: the pair model reads a few lone digits as pairs (a 0 with a curl inside
        // as 60). Read with the default costs and with a pair in a group set apart costing no more than any other pair.
        var random = new Random(31);
        const int Numbers = 1200;
        var (rightWith, longerWith, rightWithout, longerWithout) = WithAndWithout(
            ReadingCosts.Default with { ApartPairCost = 0 },
            Enumerable.Range(0, Numbers).Select(n => ComposedNumbers.Encode(
                mnist.Test, Enumerable.Range(0, random.Next(2, 9)).Select(_ => random.Next(mnist.Test.Count)).ToList(), Spacing.Apart, (CaptureStyle)(n % 3), random)));
        output.WriteLine($"{Numbers} numbers set apart: {rightWith} read right and {longerWith} with too many digits with the cost, {rightWithout} and {longerWithout} without");
        Assert.True(rightWith > rightWithout, $"{rightWith} read right with the cost, {rightWithout} without");
        Assert.True(longerWith < longerWithout, $"{longerWith} read with too many digits with the cost, {longerWithout} without");
    }

    [Fact]
    public void A_pair_read_from_one_blob_gives_each_digit_its_own_box_and_input()
    {
        var random = new Random(5);
        int pairs = 0;
        while (pairs < 5)
        {
            var (image, text) = ComposedNumbers.Compose(mnist.Test, [random.Next(mnist.Test.Count), random.Next(mnist.Test.Count)], Spacing.Touching, random);
            using (image)
            {
                var line = Reader.Analyse(Png(image), "test");
                var path = DigitReader.BestPath(line, ReadingCosts.Default, 0, DigitReader.MaxDigits);
                if (ComponentsOf(image) != 1 || path is not [{ PairHalf: PairHalf.Left }, { PairHalf: PairHalf.Right }])
                {
                    continue;
                }
                pairs++;
                var reading = Reader.Read(image);
                output.WriteLine($"{text} read as {reading}");
                Assert.Equal(2, reading.Digits.Count);
                var (left, right) = (reading.Digits[0], reading.Digits[1]);
                var blob = Rectangle.Union(left.Bounds, right.Bounds);
                Assert.True(left.Bounds.Left < right.Bounds.Left && left.Bounds.Right <= right.Bounds.Left + 1, $"{left.Bounds} then {right.Bounds}");
                Assert.True(new Rectangle(0, 0, image.Width, image.Height).Contains(blob), $"{blob} outside the image");
                Assert.True(left.Bounds.Width >= blob.Width / 4 && right.Bounds.Width >= blob.Width / 4, $"{left.Bounds} and {right.Bounds} of {blob}");
                Assert.False(left.Input.Pixels.SequenceEqual(right.Input.Pixels), "both halves have the same input");
                Assert.All([left, right], d => Assert.True(d.Input.Pixels.ToArray().Sum() > 20, "a half's input has no ink"));
            }
        }

        static byte[] Png(Image<L8> image)
        {
            using var stream = new MemoryStream();
            image.SaveAsPng(stream);
            return stream.ToArray();
        }
    }

    [Fact]
    public void Numbers_of_broken_mnist_test_digits_are_read_exactly()
    {
        // Measured 92.0% (2026-12-01).
        Assert.True(Accuracy(Spacing.Broken, 100, seed: 3) >= 0.85);
    }

    [Fact]
    public void Touching_pairs_are_split_into_their_two_digits()
    {
        // The first ten pairs whose strokes really touch (one connected blob of ink) among composed touching pairs.
        var random = new Random(5);
        var results = new List<string>();
        int correct = 0;
        while (results.Count < 10)
        {
            var (image, text) = ComposedNumbers.Compose(mnist.Test, [random.Next(mnist.Test.Count), random.Next(mnist.Test.Count)], Spacing.Touching, random);
            using (image)
            {
                if (ComponentsOf(image) != 1)
                {
                    continue;
                }
                var reading = Reader.Read(image);
                results.Add($"{text} read as {reading}");
                correct += reading.Text == text ? 1 : 0;
            }
        }
        output.WriteLine(string.Join("\n", results));
        // Measured 10 of 10 with the pair model (2026-12-03, both weights); 8 of 10 without it ("34" read as 4, "31" as 3).
        Assert.True(correct >= 8, $"{correct} of 10 touching pairs read exactly");
    }

    [Fact]
    public void A_five_broken_into_pieces_is_one_digit()
    {
        // MNIST test 5s with a gap of two rows across the stroke that joins the flag to the bowl: two or more pieces each.
        var results = new List<string>();
        int correct = 0;
        for (int from = 0; results.Count < 10; from++)
        {
            int index = FirstOf(from, 5)[0];
            from = index;
            var pixels = mnist.Test.GetPixels(index);
            var (ink, w, h) = ComposedNumbers.Crop(pixels);
            int gap = (int)(h * 0.35);
            Array.Clear(ink, gap * w, 2 * w);
            using var image = new Image<L8>(w + 40, h + 40, new L8(255));
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    image[x + 20, y + 20] = new L8((byte)(255 - ink[(y * w) + x]));
                }
            }
            if (ComponentsOf(image) < 2)
            {
                continue;
            }
            var reading = Reader.Read(image);
            results.Add($"test image {index}: {reading}");
            correct += reading.Text == "5" ? 1 : 0;
        }
        output.WriteLine(string.Join("\n", results));
        Assert.True(correct >= 8, $"{correct} of 10 broken 5s read as one 5");
    }

    [Fact]
    public void Specks_are_ignored_and_a_one_beside_a_seven_is_two_digits()
    {
        var (image, text) = ComposedNumbers.Compose(mnist.Test, FirstOf(0, 1, 7), Spacing.Apart, new Random(17));
        using (image)
        {
            Assert.Equal("17", text);
            for (int y = 3; y < 6; y++)
            {
                for (int x = 3; x < 6; x++)
                {
                    image[x, y] = new L8(0);
                    image[image.Width - x, image.Height - y] = new L8(0);
                }
            }
            var reading = Reader.Read(image);
            output.WriteLine(reading.ToString());
            Assert.Equal("17", reading.Text);
            Assert.Equal(2, reading.Digits.Count);
            Assert.True(reading.Digits[0].Bounds.Right <= reading.Digits[1].Bounds.Left);
            Assert.All(reading.Digits, d => Assert.True(new Rectangle(0, 0, image.Width, image.Height).Contains(d.Bounds)));
        }
    }

    [Fact]
    public void Both_backends_read_the_same_number()
    {
        var (image, text) = ComposedNumbers.Compose(mnist.Test, FirstOf(100, 3, 0, 9, 4, 1), Spacing.Tight, new Random(3));
        using (image)
        using (var onnx = OnnxDigitClassifier.LoadPretrained())
        {
            var torchReading = Reader.Read(image);
            var onnxReading = new DigitReader(onnx).Read(image);
            output.WriteLine($"{text}: torch {torchReading}, onnx {onnxReading}");
            Assert.Equal(text, onnxReading.Text);
            Assert.Equal(torchReading.Text, onnxReading.Text);
            Assert.Equal(torchReading.Confidence, onnxReading.Confidence, 0.001f);
        }
    }

    [Fact]
    public void A_second_core_changes_no_candidate_nor_any_probability()
    {
        // With a spare core the caller and a side thread cut out the candidates together and run the two models side by
        // side: the same candidates, in the same order, with the same inputs and probabilities as on one thread.
        var random = new Random(12);
        using var onnx = OnnxDigitClassifier.LoadPretrained();
        int compared = 0;
        foreach (var classifier in new IDigitClassifier[] { Pretrained.Value, onnx })
        {
            var reader = new DigitReader(classifier);
            for (int n = 0; n < 24; n++)
            {
                var (image, _) = ComposedNumbers.Compose(mnist.Test, Enumerable.Range(0, random.Next(1, 9)).Select(_ => random.Next(mnist.Test.Count)).ToList(), (Spacing)(n % 4), random);
                byte[] png;
                using (image)
                using (var stream = new MemoryStream())
                {
                    image.SaveAsPng(stream);
                    png = stream.ToArray();
                }
                var alone = reader.Analyse(png, "one thread").Candidates;
                var helped = reader.Analyse(png, "two threads", spareCore: true).Candidates;
                Assert.Equal(alone.Count, helped.Count);
                for (int i = 0; i < alone.Count; i++)
                {
                    var (a, b) = (alone[i], helped[i]);
                    Assert.Equal((a.From, a.To, a.Box, a.Digit, a.Confidence), (b.From, b.To, b.Box, b.Digit, b.Confidence));
                    Assert.True(a.Input.Pixels.SequenceEqual(b.Input.Pixels));
                    Assert.Equal(a.Pair, b.Pair);
                    compared++;
                }
            }
        }
        output.WriteLine($"{compared} candidates of 48 numbers (TorchSharp and ONNX Runtime) alike with and without a second core");
    }

    [Fact]
    public void Disposing_the_classifier_during_reads_on_two_cores_refuses_them_and_nothing_else()
    {
        // One caller at a time, so that each read takes the side thread; the classifier is disposed under it at a moment
        // that varies: the read may fail only as a disposed classifier's call does.
        var (image, _) = ComposedNumbers.Compose(mnist.Test, FirstOf(0, 4, 1, 7, 3), Spacing.Touching, new Random(21));
        byte[] png;
        using (image)
        using (var stream = new MemoryStream())
        {
            image.SaveAsPng(stream);
            png = stream.ToArray();
        }
        int reads = 0, refused = 0;
        foreach (var create in new Func<DigitClassifierBase>[] { () => DigitClassifier.LoadPretrained(device: Runtime.ComputeDevice.Cpu), () => OnnxDigitClassifier.LoadPretrained() })
        {
            for (int round = 0; round < 10; round++)
            {
                var classifier = create();
                var reader = new DigitReader(classifier);
                reader.Read(png);
                Exception? error = null;
                using var started = new ManualResetEventSlim();
                var thread = new Thread(() =>
                {
                    started.Set();
                    try
                    {
                        while (true)
                        {
                            reader.Read(png);
                            Interlocked.Increment(ref reads);
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        Interlocked.Increment(ref refused);
                    }
                    catch (Exception ex)
                    {
                        error = ex;
                    }
                });
                thread.Start();
                started.Wait(TestContext.Current.CancellationToken);
                Thread.Sleep(2 + (3 * round));
                classifier.Dispose();
                thread.Join();
                Assert.Null(error);
            }
        }
        output.WriteLine($"{reads} reads, {refused} refused after disposal");
        Assert.Equal(20, refused);
    }

    [Fact]
    public void Readers_on_eight_threads_give_the_sequential_readings()
    {
        // The line buffers are pooled and the classifier shared: concurrent reads must not see each other's pixels.
        var random = new Random(8);
        var images = Enumerable.Range(0, 8).Select(n => Png(ComposedNumbers.Compose(mnist.Test, Enumerable.Range(0, 2 + n).Select(_ => random.Next(mnist.Test.Count)).ToList(), (Spacing)(n % 3), random).Image)).ToList();
        List<string> expected;
        using (var sequential = OnnxDigitClassifier.LoadPretrained())
        {
            expected = images.Select(png => new DigitReader(sequential).Read(png).ToString()).ToList();
        }
        // A fresh classifier: the threads race to load its pair model on first use.
        using var onnx = OnnxDigitClassifier.LoadPretrained();
        var reader = new DigitReader(onnx);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int k = 0; k < 100; k++)
            {
                int i = (t + k) % images.Count;
                string read = reader.Read(images[i]).ToString();
                if (read != expected[i])
                {
                    failures.Enqueue($"thread {t} read {k}: {read}, sequentially {expected[i]}");
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        output.WriteLine($"800 reads on 8 threads of: {string.Join(", ", expected)}");
        Assert.Empty(failures);

        static byte[] Png(Image<L8> image)
        {
            using (image)
            using (var stream = new MemoryStream())
            {
                image.SaveAsPng(stream);
                return stream.ToArray();
            }
        }
    }

    [Fact]
    public void A_blank_image_is_no_digit_and_a_field_of_dots_or_dashes_is_refused_in_bounded_time()
    {
        using var blank = new Image<L8>(300, 80, new L8(255));
        Assert.Equal(DigitImageError.NoDigit, Assert.Throws<DigitImageException>(() => Reader.Read(blank)).Error);

        using var dots = new Image<L8>(1000, 1000, new L8(255));
        for (int y = 2; y < 1000; y += 7)
        {
            for (int x = 2; x < 1000; x += 7)
            {
                dots[x, y] = new L8(0);
            }
        }
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<DigitImageException>(() => Reader.Read(dots));
        output.WriteLine($"{error.Message} ({watch.ElapsedMilliseconds} ms)");
        Assert.Contains("not one line of digits", error.Message);

        // 20,000 short dashes: each one a thin strip that could be part of a form's line.
        using var dashes = new Image<L8>(2000, 1000, new L8(255));
        var random = new Random(3);
        for (int n = 0; n < 20_000; n++)
        {
            int y = random.Next(1000), x = random.Next(1990), length = random.Next(5, 9);
            for (int i = 0; i < length; i++)
            {
                dashes[x + i, y] = new L8(0);
            }
        }
        watch.Restart();
        error = Assert.Throws<DigitImageException>(() => Reader.Read(dashes));
        output.WriteLine($"{error.Message} ({watch.ElapsedMilliseconds} ms)");
        Assert.Contains("not one line of digits", error.Message);
    }

    [Fact]
    public void Lines_one_above_another_are_refused_and_a_streak_or_an_underline_is_not_another_line_nor_a_digit()
    {
        var random = new Random(5);
        var lines = new[] { FirstOf(0, 4, 2, 1, 7), FirstOf(200, 3, 0, 5, 8), FirstOf(400, 9, 6) }
            .Select(indexes => ComposedNumbers.Compose(mnist.Test, indexes, Spacing.Apart, random))
            .ToList();
        try
        {
            // Two lines a third of a line apart (written closely), then three lines a whole line apart (a page).
            foreach (var (count, gap) in new[] { (2, 1 / 3.0), (3, 1.0) })
            {
                using var page = Stack(lines.Take(count).Select(l => l.Image).ToList(), gap);
                var error = Assert.Throws<DigitImageException>(() => Reader.Read(page));
                output.WriteLine(error.Message);
                Assert.Equal(DigitImageError.NoDigit, error.Error);
                Assert.Contains($"{count} lines", error.Message);
            }

            // A number written downwards, a digit to a line, the digits a third of one apart: neither far apart nor side
            // by side, but three lines or more are never one digit broken up.
            var column = FirstOf(600, 2, 7, 5, 3).Select(i => ComposedNumbers.Compose(mnist.Test, [i], Spacing.Apart, random).Image).ToList();
            try
            {
                using var downwards = Stack(column, 1 / 3.0);
                var error = Assert.Throws<DigitImageException>(() => Reader.Read(downwards));
                output.WriteLine(error.Message);
                Assert.Contains("4 lines", error.Message);
            }
            finally
            {
                column.ForEach(image => image.Dispose());
            }

            // One line crossed by a one-row streak (every digit broken at the same height), or underlined: one line, read right.
            using var streaked = Stack([lines[0].Image], 0);
            var (top, bottom) = InkRows(streaked)!.Value;
            for (int x = 0; x < streaked.Width; x++)
            {
                streaked[x, (top + bottom) / 2] = new L8(255);
            }
            using var underlined = Stack([lines[0].Image], 0, underline: true);
            using (var ruleAlone = Stack([lines[0].Image], 0, underline: true))
            {
                var (lineTop, lineBottom) = InkRows(lines[0].Image)!.Value;
                for (int y = 20; y <= 20 + lineBottom - lineTop; y++)
                {
                    for (int x = 0; x < ruleAlone.Width; x++)
                    {
                        ruleAlone[x, y] = new L8(255);
                    }
                }
                var error = Assert.Throws<DigitImageException>(() => Reader.Read(ruleAlone));
                output.WriteLine($"a rule alone: {error.Message}");
                Assert.Equal(DigitImageError.NoDigit, error.Error);
            }
            foreach (var image in new[] { streaked, underlined })
            {
                var ink = DigitImagePreprocessor.InkOf(image, "test");
                using (var components = InkComponents.Find(ink, DigitReader.InkThreshold, 500, "test"))
                {
                    Assert.Equal(1, LineSegmenter.CountLines(InkMarks.Significant(components)));
                }
                DigitImagePreprocessor.ReturnInk(ink);
                var reading = Reader.Read(image);
                output.WriteLine($"one line: {reading}");
                Assert.Equal(lines[0].Text, reading.Text);
            }
        }
        finally
        {
            lines.ForEach(l => l.Image.Dispose());
        }
    }

    [Fact]
    public void A_box_or_a_comb_round_the_field_is_not_read_and_an_empty_box_is_no_digit()
    {
        var random = new Random(8);
        int same = 0, numbers = 0;
        for (int n = 0; n < 12; n++)
        {
            var indexes = Enumerable.Range(0, random.Next(2, 7)).Select(_ => random.Next(mnist.Test.Count)).ToList();
            var (image, text) = ComposedNumbers.Compose(mnist.Test, indexes, n % 2 == 0 ? Spacing.Apart : Spacing.Tight, random);
            using (image)
            using (var boxed = Stack([image], 0, box: true))
            {
                string plain = Reader.Read(image).Text;
                if (plain != text)
                {
                    continue;
                }
                numbers++;
                var reading = Reader.Read(boxed);
                output.WriteLine($"{text} boxed: {reading}");
                same += reading.Text == text ? 1 : 0;
            }
        }
        Assert.True(numbers >= 8, $"only {numbers} of 12 numbers read right without a box");
        Assert.Equal(numbers, same);

        // Comb fields, one cell per digit: closed cells (one component round every digit), or a base line whose ticks
        // rise between the digits.
        int combs = 0;
        for (int n = 0; combs < 4; n++)
        {
            var indexes = Enumerable.Range(0, random.Next(3, 7)).Select(_ => random.Next(mnist.Test.Count)).ToList();
            var (image, text) = ComposedNumbers.Compose(mnist.Test, indexes, Spacing.Apart, random);
            using (image)
            {
                if (Reader.Read(image).Text != text || InCells(image, closed: true) is not { } closed)
                {
                    continue;
                }
                combs++;
                using (closed)
                using (var open = InCells(image, closed: false)!)
                {
                    var (inClosed, inOpen) = (Reader.Read(closed), Reader.Read(open));
                    output.WriteLine($"{text} in closed cells: {inClosed}; on an open comb: {inOpen}");
                    Assert.Equal(text, inClosed.Text);
                    Assert.Equal(text, inOpen.Text);
                }
            }
        }

        using var empty = new Image<L8>(300, 100, new L8(255));
        using var emptyBox = Stack([empty], 0, box: true);
        var error = Assert.Throws<DigitImageException>(() => Reader.Read(emptyBox));
        output.WriteLine(error.Message);
        Assert.Equal(DigitImageError.NoDigit, error.Error);
        Assert.Contains("a box round the field", error.Message);

        // An empty comb: its ticks, with no digit beside them, are still a form's and not 1s.
        using var emptyComb = new Image<L8>(540, 200, new L8(255));
        for (int x = 20; x <= 521; x++)
        {
            bool tick = (x - 20) % 100 < 2;
            for (int y = tick ? 130 : 170; y < 172; y++)
            {
                emptyComb[x, y] = new L8(0);
            }
        }
        Assert.Equal(DigitImageError.NoDigit, Assert.Throws<DigitImageException>(() => Reader.Read(emptyComb)).Error);
    }

    [Fact]
    public void A_digit_touching_its_form_cell_is_read_as_without_the_cell()
    {
        // A cell at least 0.8 as wide as tall is shorter than the digit's height, too short for a form line's box; the
        // digit touching its top joins it into one component.
        var random = new Random(9);
        var (same, compared) = ReadAsAlone(random, digits: 12,
            ("touching its cell", line => FormCell.Capture(FormCell.Around(line, touching: true, 0), CaptureStyle.Scan, random)),
            ("touching its cell, photographed", line => FormCell.Capture(FormCell.Around(line, touching: true, 2), CaptureStyle.Photo, random)));
        output.WriteLine($"touching its form cell: {same} of {compared} read as without it");
        Assert.Equal(compared, same);
    }

    [Fact]
    public void A_digit_on_a_rule_little_wider_than_itself_or_in_a_comb_cell_is_read_as_without_it()
    {
        // A rule 1.5 times the digit's height, or a comb's cell, is too short to be taken for a field's rule among several
        // digits.
        var random = new Random(10);
        var (same, compared) = ReadAsAlone(random, digits: 12,
            ("above a rule", line => FormCell.Capture(FormCell.OnRule(line, touching: false, 1.5), CaptureStyle.Scan, random)),
            ("on a rule", line => FormCell.Capture(FormCell.OnRule(line, touching: true, 1.5), CaptureStyle.Scan, random)),
            ("in a comb's cell", line => FormCell.Capture(FormCell.InComb(line, touching: false), CaptureStyle.Scan, random)),
            ("on a comb's rule", line => FormCell.Capture(FormCell.InComb(line, touching: true), CaptureStyle.Scan, random)));
        output.WriteLine($"on a short rule or in a comb: {same} of {compared} read as without it");
        Assert.Equal(compared, same);
    }

    /// <summary>
    /// Of the first <paramref name="digits"/> odd-numbered MNIST test digits (enlarged 4x) that are read right alone, how
    /// many of each's <paramref name="variants"/> are read as the same; each that is not is written out.
    /// </summary>
    private (int Same, int Compared) ReadAsAlone(Random random, int digits, params (string Name, Func<Image<L8>, byte[]> Encode)[] variants)
    {
        int same = 0, compared = 0;
        for (int i = 1, found = 0; found < digits; i += 2)
        {
            var (line, text) = ComposedNumbers.Compose(mnist.Test, [i], Spacing.Apart, random, scale: 4);
            using (line)
            {
                if (Reader.Read(line).Text != text)
                {
                    continue;
                }
                found++;
                foreach (var (name, encode) in variants)
                {
                    var reading = Reader.Read(encode(line));
                    compared++;
                    same += reading.Text == text ? 1 : 0;
                    if (reading.Text != text)
                    {
                        output.WriteLine($"test digit {i} ({text}) {name}: {reading}");
                    }
                }
            }
        }
        return (same, compared);
    }

    [Fact]
    public void Rules_ruled_paper_and_a_box_that_touch_the_digits_are_erased_and_the_number_read()
    {
        foreach (var (image, text) in NumbersReadRight(seed: 11, minDigits: 2, maxDigits: 6, n => n % 2 == 0 ? Spacing.Apart : Spacing.Tight))
        {
            Assert.Equal(0, LinesErased(image));
            foreach (var form in Enum.GetValues<Form>())
            {
                using var onForm = OnForm(image, form);
                var reading = Reader.Read(onForm);
                output.WriteLine($"{text} {form}: {reading}");
                Assert.True(text == reading.Text, $"{text} {form} read as {reading.Text}");
                Assert.True(LinesErased(onForm) >= 1, $"{text} {form}: no line erased");
            }
        }

        static int LinesErased(Image<L8> image)
        {
            var ink = DigitImagePreprocessor.InkOf(image, "test");
            try
            {
                return FormLines.Erase(ink, DigitReader.InkThreshold);
            }
            finally
            {
                DigitImagePreprocessor.ReturnInk(ink);
            }
        }
    }

    [Fact]
    public void Ones_written_on_a_rule_with_a_pen_as_thin_as_the_rule_are_read_not_erased_as_a_combs_ticks()
    {
        // At MNIST's own scale and twice it, a 1's stroke is as thin as the 3-pixel rule: upright lines standing on it,
        // as a comb's ticks do, but as tall as the digits beside them.
        int from = 0, numbers = 0;
        foreach (var digits in new[] { new[] { 1, 0, 1, 7 }, [1, 4, 1, 1], [1, 1], [2, 1, 1, 5, 1], [1, 9, 1, 1], [7, 1, 3, 1] })
        {
            foreach (int scale in new[] { 1, 2 })
            {
                var indexes = digits.Select(d => FirstOf(from, d)[0]).ToList();
                from = indexes.Max() + 1;
                var (image, text) = ComposedNumbers.Compose(mnist.Test, indexes, Spacing.Apart, new Random(from), scale);
                using (image)
                {
                    if (Reader.Read(image).Text != text)
                    {
                        continue;
                    }
                    numbers++;
                    using var onRule = OnForm(image, Form.RuleThroughTheFeet);
                    var reading = Reader.Read(onRule);
                    output.WriteLine($"{text} at {scale}x on a rule: {reading}");
                    Assert.Equal(text, reading.Text);
                }
            }
        }
        Assert.True(numbers >= 8, $"only {numbers} of 12 numbers read right without a rule");
    }

    [Fact]
    public void A_number_photographed_in_a_shadow_is_read_as_in_even_light()
    {
        int n = 0;
        foreach (var (image, text) in NumbersReadRight(seed: 13, minDigits: 3, maxDigits: 7, _ => Spacing.Apart))
        {
            // The light falls from full to 35% across the paper, from the left or from the right.
            using var shaded = image.Clone();
            bool fromLeft = n++ % 2 == 0;
            shaded.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++)
                    {
                        double across = (fromLeft ? x : row.Length - 1 - x) / (double)(row.Length - 1);
                        row[x] = new L8((byte)(row[x].PackedValue * (1 - (0.65 * across))));
                    }
                }
            });
            var reading = Reader.Read(shaded);
            output.WriteLine($"{text} in a shadow: {reading}");
            Assert.Equal(text, reading.Text);
        }
    }

    /// <summary>
    /// Six numbers of <paramref name="minDigits"/> to <paramref name="maxDigits"/> MNIST test digits, spaced as
    /// <paramref name="spacing"/> says for the n-th one composed, that the reader reads right as they are (each image is
    /// disposed when the next is asked for).
    /// </summary>
    private IEnumerable<(Image<L8> Image, string Text)> NumbersReadRight(int seed, int minDigits, int maxDigits, Func<int, Spacing> spacing)
    {
        var random = new Random(seed);
        for (int n = 0, numbers = 0; numbers < 6; n++)
        {
            var indexes = Enumerable.Range(0, random.Next(minDigits, maxDigits + 1)).Select(_ => random.Next(mnist.Test.Count)).ToList();
            var (image, text) = ComposedNumbers.Compose(mnist.Test, indexes, spacing(n), random);
            using (image)
            {
                if (Reader.Read(image).Text == text)
                {
                    numbers++;
                    yield return (image, text);
                }
            }
        }
    }

    private enum Form
    {
        RuleThroughTheFeet,
        SlantedRule,
        RuledPaper,
        TightBox,
        BoxOpenAtTheTop,
        StruckThrough,
    }

    /// <summary>
    /// The line on a form whose lines touch its digits: a 3-pixel rule through their feet, the same rule slanted by a pixel
    /// every 40 columns, grey 2-pixel rules across the page one and a half lines apart (one through the feet), or a 2-pixel
    /// box round the ink that touches the tallest digits (closed, or open at the top); or a 3-pixel line struck through
    /// the middle of the digits.
    /// </summary>
    private static Image<L8> OnForm(Image<L8> line, Form form)
    {
        var (top, bottom) = InkRows(line)!.Value;
        int height = bottom - top + 1, margin = 2 * height;
        var page = new Image<L8>(line.Width + 40, line.Height + (2 * margin), new L8(255));
        for (int y = 0; y < line.Height; y++)
        {
            for (int x = 0; x < line.Width; x++)
            {
                page[x + 20, y + margin] = line[x, y];
            }
        }
        (top, bottom) = (top + margin, bottom + margin);
        var columns = Enumerable.Range(0, page.Width).Where(x => Enumerable.Range(top, height).Any(y => page[x, y].PackedValue < 128)).ToList();
        void Ink(int x0, int x1, int y0, int y1, byte level = 0)
        {
            for (int y = Math.Max(0, y0); y <= Math.Min(page.Height - 1, y1); y++)
            {
                for (int x = Math.Max(0, x0); x <= Math.Min(page.Width - 1, x1); x++)
                {
                    page[x, y] = new L8(Math.Min(page[x, y].PackedValue, level));
                }
            }
        }
        switch (form)
        {
            case Form.RuleThroughTheFeet:
                Ink(10, page.Width - 11, bottom - 1, bottom + 1);
                break;
            case Form.SlantedRule:
                for (int x = 10; x < page.Width - 10; x++)
                {
                    int y = bottom + ((x - (page.Width / 2)) / 40);
                    Ink(x, x, y - 1, y + 1);
                }
                break;
            case Form.RuledPaper:
                for (int y = bottom - (3 * height / 2 * 3); y < page.Height; y += 3 * height / 2)
                {
                    Ink(0, page.Width - 1, y, y + 1, level: 120);
                }
                break;
            case Form.StruckThrough:
                Ink(10, page.Width - 11, ((top + bottom) / 2) - 1, ((top + bottom) / 2) + 1);
                break;
            case Form.TightBox or Form.BoxOpenAtTheTop:
                int left = columns[0] - 4, right = columns[^1] + 4;
                Ink(left, right, bottom, bottom + 1);
                Ink(left, left + 1, top - 1, bottom + 1);
                Ink(right - 1, right, top - 1, bottom + 1);
                if (form == Form.TightBox)
                {
                    Ink(left, right, top - 1, top);
                }
                break;
        }
        return page;
    }

    /// <summary>
    /// The lines' ink, one above another, <paramref name="gap"/> of the tallest line's ink height apart; optionally a
    /// 3-row rule beneath, or a 2-pixel box round it all (a blank line keeps its own height).
    /// </summary>
    private static Image<L8> Stack(List<Image<L8>> lines, double gap, bool underline = false, bool box = false)
    {
        var rows = lines.Select(l => InkRows(l) ?? (0, l.Height - 1)).ToList();
        int tallest = rows.Max(r => r.Bottom - r.Top + 1);
        int space = (int)(gap * tallest);
        int height = rows.Sum(r => r.Bottom - r.Top + 1) + (space * (lines.Count - 1)) + 40 + (underline ? 12 : 0);
        var page = new Image<L8>(lines.Max(l => l.Width) + 40, height, new L8(255));
        int at = 20;
        for (int i = 0; i < lines.Count; i++)
        {
            for (int y = rows[i].Top; y <= rows[i].Bottom; y++, at++)
            {
                for (int x = 0; x < lines[i].Width; x++)
                {
                    page[x + 20, at] = lines[i][x, y];
                }
            }
            at += space;
        }
        if (underline)
        {
            for (int y = at + 6; y < at + 9; y++)
            {
                for (int x = 10; x < page.Width - 10; x++)
                {
                    page[x, y] = new L8(0);
                }
            }
        }
        if (box)
        {
            for (int y = 8; y < page.Height - 8; y++)
            {
                for (int x = 8; x < page.Width - 8; x++)
                {
                    if (y < 10 || y >= page.Height - 10 || x < 10 || x >= page.Width - 10)
                    {
                        page[x, y] = new L8(0);
                    }
                }
            }
        }
        return page;
    }

    /// <summary>
    /// The digits of a line each in its own cell of a comb field, 2-pixel lines: closed cells, or a base line with ticks a
    /// third of the digits' height between them. Null where some digits' ink is not apart in columns.
    /// </summary>
    private static Image<L8>? InCells(Image<L8> line, bool closed)
    {
        var (top, bottom) = InkRows(line)!.Value;
        var inked = Enumerable.Range(0, line.Width).Select(x => Enumerable.Range(top, bottom - top + 1).Any(y => line[x, y].PackedValue < 128)).ToArray();
        var digits = new List<(int Left, int Right)>();
        for (int x = 0; x < inked.Length; x++)
        {
            if (inked[x] && (x == 0 || !inked[x - 1]))
            {
                digits.Add((x, x));
            }
            if (inked[x])
            {
                digits[^1] = (digits[^1].Left, x);
            }
        }
        int height = bottom - top + 1, cell = digits.Max(d => d.Right - d.Left + 1) + (height / 2), tick = height / 3;
        if (digits.Count < 3)
        {
            return null;
        }
        var field = new Image<L8>((cell * digits.Count) + 40, height + (height / 2) + 40, new L8(255));
        int cellTop = 20, cellBottom = field.Height - 21;
        for (int i = 0; i < digits.Count; i++)
        {
            int left = 20 + (i * cell) + ((cell - (digits[i].Right - digits[i].Left + 1)) / 2);
            for (int y = top; y <= bottom; y++)
            {
                for (int x = digits[i].Left; x <= digits[i].Right; x++)
                {
                    field[left + x - digits[i].Left, cellTop + (height / 4) + y - top] = line[x, y];
                }
            }
        }
        void Ink(int x0, int x1, int y0, int y1)
        {
            for (int y = y0; y <= y1; y++)
            {
                for (int x = x0; x <= x1; x++)
                {
                    field[x, y] = new L8(0);
                }
            }
        }
        int right = 20 + (cell * digits.Count);
        Ink(20, right, cellBottom - 1, cellBottom);
        for (int i = 0; i <= digits.Count; i++)
        {
            int x = Math.Min(20 + (i * cell), right - 1);
            Ink(x, x + 1, closed ? cellTop : cellBottom - tick, cellBottom);
        }
        if (closed)
        {
            Ink(20, right, cellTop, cellTop + 1);
        }
        return field;
    }

    /// <summary>The first and last rows with ink (darker than mid-grey); null for a blank image.</summary>
    private static (int Top, int Bottom)? InkRows(Image<L8> image)
    {
        var inked = Enumerable.Range(0, image.Height).Where(y => Enumerable.Range(0, image.Width).Any(x => image[x, y].PackedValue < 128)).ToList();
        return inked.Count == 0 ? null : (inked[0], inked[^1]);
    }

    [Fact]
    public void Knowing_how_many_digits_a_number_has_never_loses_a_right_reading_and_wins_back_merged_digits()
    {
        var random = new Random(2);
        int free = 0, known = 0, numbers = 100;
        var wonBack = new List<string>();
        for (int n = 0; n < numbers; n++)
        {
            var indexes = Enumerable.Range(0, random.Next(2, 9)).Select(_ => random.Next(mnist.Test.Count)).ToList();
            var (image, text) = ComposedNumbers.Compose(mnist.Test, indexes, Spacing.Touching, random);
            using (image)
            {
                string read = Reader.Read(image).Text;
                var knowing = Reader.Read(image, ReadOptions.Exactly(text.Length));
                Assert.Equal(text.Length, knowing.Digits.Count);
                // The free reading's best path is also the best of its own length: a right reading stays right.
                Assert.True(read != text || knowing.Text == text, $"{text}: read right freely, as {knowing.Text} knowing its length");
                free += read == text ? 1 : 0;
                known += knowing.Text == text ? 1 : 0;
                if (read != text && knowing.Text == text && wonBack.Count < 8)
                {
                    wonBack.Add($"{text} (freely {read})");
                }
            }
        }
        output.WriteLine($"touching numbers of 2-8 digits: {free} of {numbers} read exactly, {known} knowing their length; won back e.g. {string.Join(", ", wonBack)}");
        // Measured 87 and 95 of 100 with the pair model (2026-12-03, 720,000-candidate weights; 76 and 84 without it).
        Assert.True(known >= free + 4, $"{known} of {numbers} read knowing the length, {free} without");
    }

    [Fact]
    public void A_range_of_digits_is_kept_and_a_count_the_ink_cannot_make_is_a_clear_error()
    {
        var (pair, text) = ComposedNumbers.Compose(mnist.Test, FirstOf(0, 4, 7).ToList(), Spacing.Apart, new Random(6));
        using (pair)
        {
            Assert.Equal(text, Reader.Read(pair, new ReadOptions { MinDigits = 1, MaxDigits = 3 }).Text);
            Assert.Equal(text, Reader.Read(pair, new ReadOptions()).Text);
        }
        var (one, _) = ComposedNumbers.Compose(mnist.Test, FirstOf(0, 1).ToList(), Spacing.Apart, new Random(7));
        using (one)
        {
            var error = Assert.Throws<DigitImageException>(() => Reader.Read(one, ReadOptions.Exactly(4)));
            output.WriteLine(error.Message);
            Assert.Equal(DigitImageError.NoDigit, error.Error);
            Assert.Contains("no reading of 4 digits", error.Message);
        }
    }

    [Fact]
    public void Read_options_out_of_range_are_refused_with_the_parameter_named()
    {
        Assert.Equal("MinDigits", Assert.Throws<ArgumentOutOfRangeException>(() => new ReadOptions { MinDigits = 0 }).ParamName);
        Assert.Equal("MaxDigits", Assert.Throws<ArgumentOutOfRangeException>(() => new ReadOptions { MaxDigits = DigitReader.MaxDigits + 1 }).ParamName);
        Assert.Equal("MinDigits", Assert.Throws<ArgumentOutOfRangeException>(() => ReadOptions.Exactly(0)).ParamName);
        using var blank = new Image<L8>(50, 50, new L8(255));
        var error = Assert.Throws<ArgumentException>(() => Reader.Read(blank, new ReadOptions { MinDigits = 5, MaxDigits = 3 }));
        Assert.Equal("options", error.ParamName);
        Assert.Contains("MinDigits (5) is more than MaxDigits (3)", error.Message);
    }

    [Fact]
    public void More_digits_than_one_number_holds_is_a_clear_error()
    {
        var (image, _) = ComposedNumbers.Compose(mnist.Test, Enumerable.Range(0, 24).ToList(), Spacing.Apart, new Random(4));
        using (image)
        {
            var error = Assert.Throws<DigitImageException>(() => Reader.Read(image));
            output.WriteLine(error.Message);
            Assert.Equal(DigitImageError.NoDigit, error.Error);
            Assert.Contains("more than the 20", error.Message);
        }
    }
}
