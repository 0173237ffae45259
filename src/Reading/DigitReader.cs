using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Reading;

/// <summary>
/// Reads a whole number, one line of 1 to <see cref="MaxDigits"/> digits, with any <see cref="IDigitClassifier"/>. The
/// image goes through the classifier's preprocessing once; its ink is split into more pieces than there are digits
/// (<c>src/Reading/README.md</c>), every plausible way of putting neighbouring pieces together is classified in one
/// batched pass, and the reading is the left-to-right path of pieces that the classifier is surest of. Thread-safe
/// when the classifier is.
/// </summary>
public sealed class DigitReader
{
    /// <summary>The most digits one line may hold.</summary>
    public const int MaxDigits = 20;

    internal const int MaxComponents = 500;

    /// <summary>
    /// Pixels at least this dark (ink in [0, 1] after the image-level stages) connect strokes into components: a blurred
    /// low-resolution stroke stays one piece. Chosen on the tuning digits with the benchmarks' <c>-- read-tune</c>, run at
    /// 0.1, 0.15, 0.2, 0.25 and 0.3.
    /// </summary>
    internal const float InkThreshold = 0.2f;
    private const int MaxPiecesPerDigit = 5;

    /// <summary>No digit is wider than this many line heights.</summary>
    private const double MaxDigitWidth = 1.5;

    /// <summary>Pieces of separate groups are put together only across a gap below this many line heights.</summary>
    private const double MaxJoinGap = 0.25;

    /// <summary>Creates a reader that recognises each digit with <paramref name="classifier"/> (which it does not dispose).</summary>
    public DigitReader(IDigitClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        Classifier = classifier;
    }

    /// <summary>The classifier that recognises each digit.</summary>
    public IDigitClassifier Classifier { get; }

    /// <summary>Reads the number in an image file.</summary>
    /// <exception cref="DigitImageException">The file is not an accepted image, is too large, or shows no line of digits.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public NumberReading Read(string imagePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        using var stream = new FileStream(imagePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(Classifier.Preprocessor.InkOf(Classifier.Preprocessor.ReadBounded(stream, imagePath), imagePath), imagePath);
    }

    /// <summary>Reads the number in an encoded image (PNG, JPEG, BMP or GIF).</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no line of digits.</exception>
    public NumberReading Read(byte[] encodedImage)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return Read(Classifier.Preprocessor.InkOf(encodedImage, "image"), "image");
    }

    /// <summary>Reads the number in an encoded image stream, read up to the size limit.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no line of digits.</exception>
    public NumberReading Read(Stream encodedImage)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return Read(Classifier.Preprocessor.InkOf(Classifier.Preprocessor.ReadBounded(encodedImage, "stream"), "stream"), "stream");
    }

    /// <summary>Reads the number in an image of any size and pixel format.</summary>
    /// <exception cref="DigitImageException">The image shows no line of digits.</exception>
    public NumberReading Read(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Read(DigitImagePreprocessor.InkOf(image, "image"), "image");
    }

    /// <summary>Reads an encoded image stream (an upload) asynchronously, up to the size limit, and reads the number in it.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no line of digits.</exception>
    public async Task<NumberReading> ReadAsync(Stream encodedImage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        byte[] encoded = await Classifier.Preprocessor.ReadBoundedAsync(encodedImage, "stream", cancellationToken).ConfigureAwait(false);
        return Read(Classifier.Preprocessor.InkOf(encoded, "stream"), "stream");
    }

    private NumberReading Read(GrayImage ink, string source)
    {
        try
        {
            return Decode(Analyse(ink, source), ReadingCosts.Default, source);
        }
        finally
        {
            DigitImagePreprocessor.ReturnInk(ink);
        }
    }

    /// <summary>
    /// Segments the line into pieces and classifies every plausible digit (1 to <see cref="MaxPiecesPerDigit"/>
    /// neighbouring pieces) in one batched call.
    /// </summary>
    internal LineCandidates Analyse(GrayImage ink, string source)
    {
        using var components = InkComponents.Find(ink, InkThreshold, MaxComponents, source);
        var (pieces, lineHeight) = LineSegmenter.Split(components);
        if (pieces.Count == 0)
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (no ink beyond specks). Write or photograph the number with clear contrast.");
        }

        var spans = new List<(int From, int To, Rectangle Box, PreprocessedDigit Input)>();
        foreach (var (from, to, crop, box) in Spans(components, pieces, lineHeight))
        {
            spans.Add((from, to, box, DigitImagePreprocessor.Normalize(crop)));
        }
        var predictions = Classifier.PredictBatch(spans.Select(c => c.Input).ToList());
        var candidates = spans.Select((c, i) => new Candidate(c.From, c.To, c.Box, c.Input, predictions[i].Digit, predictions[i].Confidence)).ToList();
        return new LineCandidates(pieces, lineHeight, candidates);
    }

    /// <summary>The classified candidates of the line in an encoded image, without choosing a path (the benchmarks tune and time with them).</summary>
    internal LineCandidates Analyse(byte[] encodedImage, string source)
    {
        var ink = Classifier.Preprocessor.InkOf(encodedImage, source);
        try
        {
            return Analyse(ink, source);
        }
        finally
        {
            DigitImagePreprocessor.ReturnInk(ink);
        }
    }

    /// <summary>Every run of 1 to <see cref="MaxPiecesPerDigit"/> neighbouring pieces that could be one digit, and its ink.</summary>
    internal static IEnumerable<(int From, int To, GrayImage Crop, Rectangle Box)> Spans(InkComponents components, List<Primitive> pieces, int lineHeight)
    {
        for (int from = 0; from < pieces.Count; from++)
        {
            for (int to = from + 1; to <= Math.Min(pieces.Count, from + MaxPiecesPerDigit); to++)
            {
                if (!CanJoin(pieces, from, to, lineHeight))
                {
                    break;
                }
                var labels = pieces.Skip(from).Take(to - from).SelectMany(p => p.Labels).ToHashSet();
                if (components.Crop(labels, pieces[from].X0, pieces[to - 1].X1) is { } crop)
                {
                    yield return (from, to, crop.Crop, crop.Box);
                }
            }
        }
    }

    /// <summary>The number read along the <see cref="BestPath"/>.</summary>
    internal static NumberReading Decode(LineCandidates line, ReadingCosts costs, string source)
    {
        var path = BestPath(line, costs, source);
        if (path.Count == 0)
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (only stray marks). Write or photograph the number with clear contrast.");
        }
        if (path.Count > MaxDigits)
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: {path.Count} digits found, more than the {MaxDigits} of one number. Crop the image to one line of digits.");
        }
        return new NumberReading(path.ConvertAll(c => new ReadDigit(c.Digit, c.Confidence, c.Box, c.Input)));
    }

    /// <summary>
    /// The left-to-right path of candidates with the highest total log-probability, less the <paramref name="costs"/> of
    /// its cuts, joins, skipped stray marks and implausible shapes.
    /// </summary>
    internal static List<Candidate> BestPath(LineCandidates line, ReadingCosts costs, string source)
    {
        var (pieces, lineHeight, candidates) = line;
        var best = new double[pieces.Count + 1];
        var back = new int[pieces.Count + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        var byEnd = candidates.Select((c, i) => (c, i)).ToLookup(c => c.c.To);
        for (int at = 1; at <= pieces.Count; at++)
        {
            // A stray mark may be passed over: back = -1.
            if (IsStray(line, at - 1, costs) && best[at - 1] - costs.SkipCost > best[at])
            {
                best[at] = best[at - 1] - costs.SkipCost;
                back[at] = -1;
            }
            foreach (var (candidate, index) in byEnd[at])
            {
                double score = best[candidate.From] + Score(candidate, pieces, lineHeight, costs);
                if (score > best[at])
                {
                    best[at] = score;
                    back[at] = index;
                }
            }
        }
        if (double.IsNegativeInfinity(best[pieces.Count]))
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (the marks cannot be put together into digits). Write the number on one line.");
        }

        var path = new List<Candidate>();
        for (int at = pieces.Count; at > 0;)
        {
            if (back[at] < 0)
            {
                at--;
                continue;
            }
            var chosen = candidates[back[at]];
            path.Add(chosen);
            at = chosen.From;
        }
        path.Reverse();
        return path;
    }

    /// <summary>Whether piece <paramref name="piece"/> is a stray mark that a path may pass over: a whole group with little ink against the line's median.</summary>
    internal static bool IsStray(LineCandidates line, int piece, ReadingCosts costs) =>
        !line.Pieces[piece].CutInside && line.Pieces[piece].GroupArea < costs.StrayInk * line.MedianInk;

    /// <summary>A candidate's log-probability less what its shape and its cuts and joins cost.</summary>
    internal static double Score(Candidate candidate, List<Primitive> pieces, int lineHeight, ReadingCosts costs)
    {
        double score = Math.Log(Math.Max(candidate.Confidence, 1e-9f)) - costs.DigitCost
            - (costs.JoinCost * (pieces[candidate.To - 1].Group - pieces[candidate.From].Group))
            - (costs.WidthCost * Math.Max(0, (candidate.Box.Width / (double)lineHeight) - costs.WideDigit))
            - (costs.HeightCost * Math.Max(0, costs.ShortDigit - (candidate.Box.Height / (double)lineHeight)));
        if (candidate.To < pieces.Count && pieces[candidate.To].Group == pieces[candidate.To - 1].Group)
        {
            // A cut through a connected group: dear where the group is narrow enough for one digit, cheap where it is wide enough for two.
            double width = pieces[candidate.To].GroupWidth / (double)lineHeight;
            double wide = Math.Clamp((width - costs.NarrowGroup) / Math.Max(1e-6, costs.SeveralDigits - costs.NarrowGroup), 0, 1);
            score -= costs.CutCost + ((costs.WideCutCost - costs.CutCost) * wide);
        }
        return score;
    }

    /// <summary>Whether pieces <paramref name="from"/> to <paramref name="to"/> (exclusive) could be one digit: narrow enough, and no wide gap between groups.</summary>
    private static bool CanJoin(List<Primitive> pieces, int from, int to, int lineHeight)
    {
        if (to - from == 1)
        {
            return true;
        }
        if (pieces[to - 1].X1 - pieces[from].X0 > MaxDigitWidth * lineHeight)
        {
            return false;
        }
        for (int k = from + 1; k < to; k++)
        {
            if (pieces[k].Group != pieces[k - 1].Group && pieces[k].X0 - pieces[k - 1].X1 > MaxJoinGap * lineHeight)
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>One way of putting neighbouring pieces together as a digit, and what the classifier made of it.</summary>
internal sealed record Candidate(int From, int To, Rectangle Box, PreprocessedDigit Input, int Digit, float Confidence);

/// <summary>A line's pieces, its height, and every candidate digit over them, classified.</summary>
internal sealed record LineCandidates(List<Primitive> Pieces, int LineHeight, List<Candidate> Candidates)
{
    /// <summary>The median piece's group ink, against which a stray mark is small.</summary>
    public double MedianInk { get; } = Pieces.Select(p => p.GroupArea).Order().ElementAt(Pieces.Count / 2);
}
