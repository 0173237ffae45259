using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Reading;

/// <summary>
/// Reads a whole number, one line of 1 to <see cref="MaxDigits"/> digits, with any <see cref="IDigitClassifier"/>. The
/// image goes through the classifier's preprocessing once; its ink is split into more pieces than there are digits
/// (<c>src/Reading/README.md</c>), every plausible way of putting neighbouring pieces together is classified in
/// batched passes, and the reading is the left-to-right path of pieces that the classifier is surest of. Thread-safe
/// when the classifier is.
/// </summary>
internal sealed class DigitReader
{
    /// <summary>The most digits one line may hold.</summary>
    public const int MaxDigits = 20;

    private const int MaxComponents = 500;
    private const int MaxPiecesPerDigit = 4;

    /// <summary>No digit is wider than this many line heights.</summary>
    private const double MaxDigitWidth = 1.5;

    /// <summary>Pieces of separate groups are put together only across a gap below this many line heights.</summary>
    private const double MaxJoinGap = 0.25;

    /// <summary>
    /// What a cut through a connected stroke costs, in log-probability: cutting a group no wider than one digit must buy
    /// much more confidence than cutting one wide enough for two.
    /// </summary>
    private const double CutCost = 2.5;

    private const double WideCutCost = 0.5;

    /// <summary>A group wider than this many line heights is taken to hold more than one digit.</summary>
    private const double SeveralDigits = 1.1;

    /// <summary>What putting separate groups together as one digit costs, in log-probability.</summary>
    private const double JoinCost = 2.0;

    /// <summary>A whole group with less ink than this share of the median group's may be left out as a stray mark, at <see cref="SkipCost"/>.</summary>
    private const double StrayInk = 0.15;

    private const double SkipCost = 3.0;

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
        var components = InkComponents.Find(ink, MaxComponents, source);
        var (pieces, lineHeight) = LineSegmenter.Split(components);
        if (pieces.Count == 0)
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (no ink beyond specks). Write or photograph the number with clear contrast.");
        }

        // Every plausible digit: 1 to MaxPiecesPerDigit neighbouring pieces, classified in one batched call.
        var candidates = new List<(int From, int To, Rectangle Box, PreprocessedDigit Input)>();
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
                    candidates.Add((from, to, crop.Box, DigitImagePreprocessor.Normalize(crop.Crop)));
                }
            }
        }
        var predictions = Classifier.PredictBatch(candidates.Select(c => c.Input).ToList());

        // The best path from the line's left edge to its right, by total log-probability less the cost of each cut
        // through a connected stroke.
        var best = new double[pieces.Count + 1];
        var back = new int[pieces.Count + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        double medianInk = pieces.Select(p => p.GroupArea).Order().ElementAt(pieces.Count / 2);
        int processed = 0;
        var ordered = candidates.Select((c, i) => (c, i)).OrderBy(c => c.c.To).ToList();
        for (int at = 1; at <= pieces.Count; at++)
        {
            // A stray mark (a whole small group) may be passed over: back = -1.
            var piece = pieces[at - 1];
            if (!piece.CutInside && piece.GroupArea < StrayInk * medianInk && best[at - 1] - SkipCost > best[at])
            {
                best[at] = best[at - 1] - SkipCost;
                back[at] = -1;
            }
            for (; processed < ordered.Count && ordered[processed].c.To == at; processed++)
            {
                Relax(ordered[processed].c, ordered[processed].i);
            }
        }

        void Relax((int From, int To, Rectangle Box, PreprocessedDigit Input) candidate, int index)
        {
            double score = best[candidate.From] + Math.Log(Math.Max(predictions[index].Confidence, 1e-9f))
                - (JoinCost * (pieces[candidate.To - 1].Group - pieces[candidate.From].Group));
            if (candidate.To < pieces.Count && pieces[candidate.To].Group == pieces[candidate.To - 1].Group)
            {
                score -= pieces[candidate.To].GroupWidth > SeveralDigits * lineHeight ? WideCutCost : CutCost;
            }
            if (score > best[candidate.To])
            {
                best[candidate.To] = score;
                back[candidate.To] = index;
            }
        }

        if (double.IsNegativeInfinity(best[pieces.Count]))
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (the marks cannot be put together into digits). Write the number on one line.");
        }

        var digits = new List<ReadDigit>();
        for (int at = pieces.Count; at > 0;)
        {
            if (back[at] < 0)
            {
                at--;
                continue;
            }
            var (from, _, box, input) = candidates[back[at]];
            var prediction = predictions[back[at]];
            digits.Add(new ReadDigit(prediction.Digit, prediction.Confidence, box, input));
            at = from;
        }
        digits.Reverse();
        if (digits.Count == 0)
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (only stray marks). Write or photograph the number with clear contrast.");
        }
        if (digits.Count > MaxDigits)
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: {digits.Count} digits found, more than the {MaxDigits} of one number. Crop the image to one line of digits.");
        }
        return new NumberReading(digits);
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
