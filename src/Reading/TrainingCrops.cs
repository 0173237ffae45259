using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Model;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistCnn.Core.Reading;

/// <summary>
/// Digits as the reader's segmentation hands them to the model, made from a dataset's own images: each digit is set in
/// a short line between neighbours that may touch or overlap it, cut out between columns near where a cut would fall
/// (so neighbours' fragments come along and its own strokes may be clipped), sometimes with a stroke broken by a pen
/// lift, sometimes shrunk to a low-resolution scan and enlarged again, then normalised exactly as the reader does.
/// </summary>
internal static class TrainingCrops
{
    private const int Size = MnistFormat.ImageSize;
    private const byte CropThreshold = 40;

    /// <summary>
    /// The connectivity threshold of the lines these crops are cut from: the one the embedded model was trained with,
    /// kept so that its recipe still makes it. The reader connects fainter ink (<see cref="DigitReader.InkThreshold"/>);
    /// a model retrained on crops cut at that read worse (<c>tests/MnistCnn.Core.Benchmarks/README.md</c>).
    /// </summary>
    private const float InkThreshold = 0.3f;

    /// <summary>
    /// The stroke stage only dilates thin strokes, as when both embedded models were trained, so that their recipes
    /// still make them: it neither fills outlined strokes nor keeps small loops open (filling outlines alone, the
    /// benchmarks' <c>-- crops-hash</c> changes: 12 crops are filled in making its 20,000).
    /// </summary>
    private const bool PlainDilation = true;

    /// <summary>A crop of this share of all is a bad cut, labelled <see cref="MnistDataset.NoDigit"/>.</summary>
    private const double BadCutShare = 0.2;

    /// <summary>A crop of this share of all is one of the reader's own candidates, cut by its segmentation of a short line.</summary>
    private const double LatticeShare = 0.5;

    /// <summary>A candidate holding this share of one digit's ink, and at most <see cref="FragmentShare"/> of any other's, is that digit.</summary>
    private const double WholeShare = 0.9;

    /// <summary>The most of a neighbour's ink that a candidate read as a digit may hold (the stroke a cut could not part).</summary>
    private const double FragmentShare = 0.35;

    /// <summary>A candidate holding less than this share of every digit's ink, or this share of two digits' ink, is a bad cut.</summary>
    private const double BadShare = 0.55;

    private static (byte[] Pixels, int Width, int Height)[] DigitsCroppedToInk(MnistDataset source)
    {
        var images = source.Images.bytes;
        var digits = new (byte[] Pixels, int Width, int Height)[source.Count];
        for (int i = 0; i < digits.Length; i++)
        {
            digits[i] = CropToInk(images.Slice(i * MnistFormat.PixelsPerImage, MnistFormat.PixelsPerImage));
        }
        return digits;
    }

    /// <summary><paramref name="count"/> crops and their labels (784 bytes each, like MNIST), seeded.</summary>
    public static (byte[] Pixels, byte[] Labels) Generate(MnistDataset source, int count, int seed)
    {
        var random = new Random(seed);
        var labels = source.GetLabels();
        var digits = DigitsCroppedToInk(source);

        var pixels = new byte[(long)count * MnistFormat.PixelsPerImage];
        var outLabels = new byte[count];
        for (int k = 0; k < count; k++)
        {
            int target = random.Next(digits.Length);
            bool badCut = random.NextDouble() < BadCutShare;
            outLabels[k] = (byte)(badCut ? MnistDataset.NoDigit : labels[target]);
            var input = random.NextDouble() < LatticeShare && FromLattice(digits, target, badCut, random) is { } candidate
                ? candidate
                : Crop(digits, target, badCut, random);
            for (int p = 0; p < MnistFormat.PixelsPerImage; p++)
            {
                pixels[((long)k * MnistFormat.PixelsPerImage) + p] = (byte)Math.Round(Math.Clamp(input.Pixels[p], 0f, 1f) * 255f);
            }
        }
        return (pixels, outLabels);
    }

    /// <summary>
    /// <paramref name="count"/> inputs of the pair model (<see cref="PairInput"/>, as bytes) with their classes: the
    /// reader's own wide candidates over short lines of 2 to 4 digits, labelled by whose ink they hold as a pair (10a + b),
    /// one digit, or neither (<c>src/Reading/README.md</c>).
    /// </summary>
    public static (byte[] Pixels, byte[] Labels) GeneratePairs(MnistDataset source, int count, int seed)
    {
        const int margin = 6;
        var random = new Random(seed);
        var labels = source.GetLabels();
        var digits = DigitsCroppedToInk(source);
        const int size = PairInput.Pixels;
        var pixels = new byte[(long)count * size];
        var outLabels = new byte[count];
        int made = 0;
        while (made < count)
        {
            int n = random.Next(2, 5);
            var ids = Enumerable.Range(0, n).Select(_ => random.Next(digits.Length)).ToArray();
            var line = ids.Select(i => random.NextDouble() < 0.2 ? Break(digits[i], random) : digits[i]).ToList();
            bool touching = random.NextDouble() < 0.6;
            var offsets = new int[n];
            int x = margin;
            for (int k = 0; k < n; k++)
            {
                if (k > 0)
                {
                    int w = line[k - 1].Width;
                    x += w - (touching ? random.Next(0, Math.Max(1, (w / 3) + 1)) : random.Next(-6, Math.Max(-3, w / 4) + 1));
                }
                offsets[k] = x;
            }
            int width = x + line[^1].Width + margin, height = Size + (2 * margin);
            var ink = new byte[width * height];
            var owner = new byte[width * height];
            for (int k = 0; k < n; k++)
            {
                Stamp(ink, width, line[k], offsets[k], margin + ((Size - line[k].Height) / 2) + random.Next(-2, 3), owner, (byte)(k + 1));
            }
            var gray = random.NextDouble() < 0.3
                ? LowResolution(ink, width, height, 20, random)
                : new GrayImage(ink.Select(b => b / 255f).ToArray(), width, height);
            using var components = InkComponents.Find(gray, DigitReader.InkThreshold, DigitReader.MaxComponents, "training line");
            var (pieces, lineHeight) = LineSegmenter.Split(components);
            int[] InkByOwner(GrayImage image, int left, int top)
            {
                var counts = new int[n + 1];
                for (int y = 0; y < image.Height; y++)
                {
                    for (int cx = 0; cx < image.Width; cx++)
                    {
                        if (image.Pixels[(y * image.Width) + cx] >= DigitReader.InkThreshold)
                        {
                            counts[owner[((top + y) * height / gray.Height * width) + ((left + cx) * width / gray.Width)]]++;
                        }
                    }
                }
                return counts;
            }
            var total = InkByOwner(gray, 0, 0);
            var pairs = new List<(GrayImage, int)>();
            var singles = new List<(GrayImage, int)>();
            var others = new List<(GrayImage, int)>();
            foreach (var (_, _, crop, box) in DigitReader.Spans(components, pieces, lineHeight))
            {
                if (box.Width < PairInput.MinWidth * lineHeight)
                {
                    continue;
                }
                var held = InkByOwner(crop, box.X, box.Y);
                var shares = Enumerable.Range(1, n).Select(k => total[k] == 0 ? 0 : held[k] / (double)total[k]).ToArray();
                int big = shares.Count(v => v >= 0.85), some = shares.Count(v => v > 0.3);
                if (big == 2 && some == 2)
                {
                    int a = Array.FindIndex(shares, v => v >= 0.85);
                    if (a + 1 < n && shares[a + 1] >= 0.85)
                    {
                        pairs.Add((crop, (10 * labels[ids[a]]) + labels[ids[a + 1]]));
                    }
                }
                else if (big == 1 && shares.Count(v => v > 0.35) == 1 && shares.Max() >= 0.9)
                {
                    singles.Add((crop, DigitPairModule.OneDigit));
                }
                else if (shares.Max() < 0.55 || shares.Count(v => v >= 0.55) >= 3 || (shares.Count(v => v >= 0.55) == 2 && shares.Where(v => v >= 0.55).Min() < 0.7))
                {
                    others.Add((crop, DigitPairModule.Neither));
                }
            }
            var chosen = pairs.OrderBy(_ => random.Next()).Take(2).ToList();
            if (singles.Count > 0 && random.NextDouble() < 0.5)
            {
                chosen.Add(singles[random.Next(singles.Count)]);
            }
            if (others.Count > 0 && random.NextDouble() < 0.6)
            {
                chosen.Add(others[random.Next(others.Count)]);
            }
            var input = new float[size];
            foreach (var (crop, label) in chosen)
            {
                if (made == count)
                {
                    break;
                }
                PairInput.Normalize(crop, input, PlainDilation);
                for (int p = 0; p < size; p++)
                {
                    pixels[((long)made * size) + p] = (byte)Math.Round(Math.Clamp(input[p], 0f, 1f) * 255f);
                }
                outLabels[made++] = (byte)label;
            }
        }
        return (pixels, outLabels);
    }

    /// <summary>
    /// The target digit in a short line, cut out as the reader would cut it; or, for a bad cut, a window that takes only
    /// part of a wide enough digit (35-65% of it) or the digit and 50-100% of its right neighbour.
    /// </summary>
    private static PreprocessedDigit Crop((byte[] Pixels, int Width, int Height)[] digits, int target, bool badCut, Random random)
    {
        const int margin = 6;
        var middle = digits[target];
        if (random.NextDouble() < 0.25)
        {
            middle = Break(middle, random);
        }
        bool partial = badCut && middle.Width >= 16 && random.NextDouble() < 0.5;
        var left = random.NextDouble() < 0.7 ? digits[random.Next(digits.Length)] : default;
        var right = random.NextDouble() < 0.7 || (badCut && !partial) ? digits[random.Next(digits.Length)] : default;

        // Overlap with each neighbour, in pixels: negative is a gap, up to a third of the narrower digit's width.
        int Overlap(int neighbourWidth) => neighbourWidth == 0 ? -margin
            : random.Next(-3, Math.Max(-2, Math.Min(neighbourWidth, middle.Width) / 3) + 1);
        int overlapLeft = Overlap(left.Width), overlapRight = Overlap(right.Width);
        int x0 = margin + left.Width - overlapLeft;
        int x1 = x0 + middle.Width;
        int width = x1 - overlapRight + right.Width + margin;
        int height = Size + (2 * margin);
        var line = new byte[width * height];
        if (left.Width > 0)
        {
            Stamp(line, width, left, margin, margin + ((Size - left.Height) / 2) + random.Next(-2, 3));
        }
        Stamp(line, width, middle, x0, margin + ((Size - middle.Height) / 2));
        if (right.Width > 0)
        {
            Stamp(line, width, right, x1 - overlapRight, margin + ((Size - right.Height) / 2) + random.Next(-2, 3));
        }

        // Where the reader would cut: inside the stretch shared with a touching neighbour, a little off either way.
        int jitter = Math.Max(1, middle.Width / 8);
        int cut0 = overlapLeft >= 0 ? x0 + random.Next(-jitter, overlapLeft + jitter + 1) : x0 - 1;
        int cut1 = overlapRight >= 0 ? x1 - random.Next(-jitter, overlapRight + jitter + 1) : x1 + 1;
        if (partial)
        {
            int part = (int)Math.Round(middle.Width * (0.35 + (0.3 * random.NextDouble())));
            (cut0, cut1) = random.Next(2) == 0 ? (cut0, x0 + part) : (x1 - part, cut1);
        }
        else if (badCut)
        {
            cut1 = x1 - overlapRight + (int)Math.Round(right.Width * (0.5 + (0.5 * random.NextDouble())));
        }
        cut0 = Math.Clamp(cut0, 0, width - 2);
        cut1 = Math.Clamp(cut1, cut0 + 2, width);

        GrayImage gray;
        if (random.NextDouble() < 0.3)
        {
            gray = LowResolution(line, width, height, middle.Height, random);
            double scale = gray.Width / (double)width;
            cut0 = Math.Clamp((int)Math.Round(cut0 * scale), 0, gray.Width - 2);
            cut1 = Math.Clamp((int)Math.Round(cut1 * scale), cut0 + 2, gray.Width);
        }
        else
        {
            gray = new GrayImage(line.Select(b => b / 255f).ToArray(), width, height);
        }
        var window = InkBox.Crop(gray.Pixels, gray.Width, new Rectangle(cut0, 0, cut1 - cut0, gray.Height));
        return DigitImagePreprocessor.Normalize(InkBox.TryFind(window.Pixels, window.Width, window.Height, out var box)
            ? InkBox.Crop(window.Pixels, window.Width, box)
            : gray, PlainDilation);
    }

    /// <summary>
    /// The target digit in a short line of 2-4 digits that may stand apart, touch or overlap (by up to a third of the
    /// digit on the left), segmented as the reader segments a line; one of the reader's candidates over it: one that
    /// holds nearly all of the target and at most fragments of its neighbours, or for a bad cut, one that holds too little
    /// of any digit or much of two (a merged pair). Null when the lattice has no such candidate.
    /// </summary>
    private static PreprocessedDigit? FromLattice((byte[] Pixels, int Width, int Height)[] digits, int target, bool badCut, Random random)
    {
        const int margin = 6;
        int before = random.Next(0, 2), after = random.Next(before == 0 ? 1 : 0, 3);
        var line = Enumerable.Range(0, before).Select(_ => digits[random.Next(digits.Length)])
            .Append(digits[target])
            .Concat(Enumerable.Range(0, after).Select(_ => digits[random.Next(digits.Length)]))
            .Select(d => random.NextDouble() < 0.25 ? Break(d, random) : d)
            .ToList();
        var offsets = new int[line.Count];
        int x = margin;
        for (int k = 0; k < line.Count; k++)
        {
            if (k > 0)
            {
                x += line[k - 1].Width - random.Next(-4, Math.Max(-3, line[k - 1].Width / 3) + 1);
            }
            offsets[k] = x;
        }
        int width = x + line[^1].Width + margin, height = Size + (2 * margin);
        var ink = new byte[width * height];
        var owner = new byte[width * height];
        for (int k = 0; k < line.Count; k++)
        {
            Stamp(ink, width, line[k], offsets[k], margin + ((Size - line[k].Height) / 2) + random.Next(-2, 3), owner, (byte)(k + 1));
        }

        var gray = random.NextDouble() < 0.3
            ? LowResolution(ink, width, height, digits[target].Height, random)
            : new GrayImage(ink.Select(b => b / 255f).ToArray(), width, height);
        using var components = InkComponents.Find(gray, InkThreshold, DigitReader.MaxComponents, "training line");
        var (pieces, lineHeight) = LineSegmenter.Split(components);
        // Ink pixels of an image placed at (left, top) in the line, counted by the digit that drew them (0: none).
        int[] InkByOwner(GrayImage image, int left, int top)
        {
            var counts = new int[line.Count + 1];
            for (int y = 0; y < image.Height; y++)
            {
                for (int cx = 0; cx < image.Width; cx++)
                {
                    if (image.Pixels[(y * image.Width) + cx] >= InkThreshold)
                    {
                        counts[owner[((top + y) * height / gray.Height * width) + ((left + cx) * width / gray.Width)]]++;
                    }
                }
            }
            return counts;
        }
        var total = InkByOwner(gray, 0, 0);

        var wanted = new List<GrayImage>();
        var merged = new List<GrayImage>();
        foreach (var (_, _, crop, box) in DigitReader.Spans(components, pieces, lineHeight))
        {
            var held = InkByOwner(crop, box.X, box.Y);
            var kind = KindOf(Enumerable.Range(1, line.Count).Select(k => total[k] == 0 ? 0 : held[k] / (double)total[k]).ToArray(), before);
            if (badCut ? kind is CandidateKind.BadCut or CandidateKind.MergedPair : kind == CandidateKind.Digit)
            {
                wanted.Add(crop);
            }
            if (badCut && kind == CandidateKind.MergedPair)
            {
                merged.Add(crop);
            }
        }
        // Half the bad cuts are merged digits when the line has any: the mistake that costs a touching number a digit.
        var pool = merged.Count > 0 && random.Next(2) == 0 ? merged : wanted;
        return pool.Count == 0 ? null : DigitImagePreprocessor.Normalize(pool[random.Next(pool.Count)], PlainDilation);
    }

    /// <summary>
    /// What a candidate holding <paramref name="shares"/> of each digit's ink (in line order) is, when the line's digit
    /// <paramref name="target"/> is the one being cut out.
    /// </summary>
    internal static CandidateKind KindOf(IReadOnlyList<double> shares, int target)
    {
        var ranked = shares.Order().ToArray();
        if (ranked.Length > 1 && ranked[^2] >= BadShare)
        {
            return CandidateKind.MergedPair;
        }
        if (ranked[^1] < BadShare)
        {
            return CandidateKind.BadCut;
        }
        return shares[target] >= WholeShare && shares.Where((_, k) => k != target).All(s => s <= FragmentShare)
            ? CandidateKind.Digit
            : CandidateKind.Unused;
    }

    /// <summary>The line shrunk so that the digit is 8 to 16 px tall, enlarged 2-4 times, and its background suppressed as the reader's levels do.</summary>
    private static GrayImage LowResolution(byte[] line, int width, int height, int digitHeight, Random random)
    {
        double shrink = random.Next(8, 17) / (double)Math.Max(digitHeight, 8);
        int smallWidth = Math.Max(2, (int)Math.Round(width * shrink)), smallHeight = Math.Max(2, (int)Math.Round(height * shrink));
        double enlarge = 2 + (2 * random.NextDouble());
        int largeWidth = Math.Max(4, (int)Math.Round(smallWidth * enlarge)), largeHeight = Math.Max(4, (int)Math.Round(smallHeight * enlarge));
        using var image = Image.LoadPixelData<L8>(line, width, height);
        image.Mutate(c => c.Resize(smallWidth, smallHeight, KnownResamplers.Box).Resize(largeWidth, largeHeight, KnownResamplers.Triangle));
        var gray = new float[largeWidth * largeHeight];
        float max = 0;
        for (int y = 0; y < largeHeight; y++)
        {
            for (int x = 0; x < largeWidth; x++)
            {
                gray[(y * largeWidth) + x] = image[x, y].PackedValue / 255f;
                max = Math.Max(max, gray[(y * largeWidth) + x]);
            }
        }
        float floor = 0.25f * max;
        for (int i = 0; i < gray.Length; i++)
        {
            gray[i] = gray[i] <= floor ? 0 : Math.Min(1, (gray[i] - floor) / (max - floor));
        }
        return new GrayImage(gray, largeWidth, largeHeight);
    }

    /// <summary>The digit with a gap of 1-2 px across one stroke region, as a pen lift or a faint scan leaves.</summary>
    private static (byte[] Pixels, int Width, int Height) Break((byte[] Pixels, int Width, int Height) digit, Random random)
    {
        var (source, w, h) = digit;
        var pixels = (byte[])source.Clone();
        double y0 = h * (0.25 + (0.5 * random.NextDouble()));
        double slope = (random.NextDouble() - 0.5) * 1.2;
        double halfGap = 0.5 + (0.5 * random.NextDouble());
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                if (Math.Abs(y - (y0 + (slope * (x - (w / 2.0))))) < halfGap)
                {
                    pixels[(y * w) + x] = 0;
                }
            }
        }
        return (pixels, w, h);
    }

    /// <summary>Draws the digit into the line where it is darker than what is there; records it as the pixel's owner when asked.</summary>
    private static void Stamp(byte[] line, int width, (byte[] Pixels, int Width, int Height) digit, int left, int top, byte[]? owner = null, byte id = 0)
    {
        for (int y = 0; y < digit.Height; y++)
        {
            for (int x = 0; x < digit.Width; x++)
            {
                int p = ((top + y) * width) + left + x;
                byte v = digit.Pixels[(y * digit.Width) + x];
                if (v > line[p])
                {
                    line[p] = v;
                    owner?[p] = id;
                }
            }
        }
    }

    private static (byte[] Pixels, int Width, int Height) CropToInk(ReadOnlySpan<byte> digit)
    {
        int left = Size, right = -1, top = Size, bottom = -1;
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                if (digit[(y * Size) + x] > CropThreshold)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }
        if (right < 0)
        {
            return (digit.ToArray(), Size, Size);
        }
        int w = right - left + 1, h = bottom - top + 1;
        var pixels = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            digit.Slice(((top + y) * Size) + left, w).CopyTo(pixels.AsSpan(y * w, w));
        }
        return (pixels, w, h);
    }
}

/// <summary>What a candidate of the reader's segmentation is, by whose ink it holds.</summary>
internal enum CandidateKind
{
    /// <summary>Neither one digit nor clearly a bad cut: not used for training.</summary>
    Unused,

    /// <summary>Nearly all of the target digit, and at most a fragment of any neighbour.</summary>
    Digit,

    /// <summary>Too little of any digit: a piece.</summary>
    BadCut,

    /// <summary>Much of two digits.</summary>
    MergedPair,
}
