using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Model;
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

    /// <summary>
    /// A connected group is a candidate whole up to this many line heights wide, though cut into more pieces than
    /// <see cref="MaxPiecesPerDigit"/> or wider than <see cref="MaxDigitWidth"/>: a flat 0 or a wide 2 alone on its line,
    /// whose own height is the line's, is 1.5–1.9 line heights wide.
    /// </summary>
    private const double MaxWholeGroupWidth = 2.0;

    private readonly DigitClassifierBase? _pairs;
    private readonly ReadCounter _reads;

    /// <summary>
    /// Creates a reader that recognises each digit with <paramref name="classifier"/> (which it does not dispose). With
    /// this library's classifiers, a candidate wide enough for two touching digits is also shown to the embedded pair
    /// model on the same backend; another <see cref="IDigitClassifier"/> reads without it.
    /// </summary>
    public DigitReader(IDigitClassifier classifier)
        : this(classifier, readPairs: true)
    {
    }

    /// <summary>A reader that uses the pair model only where <paramref name="readPairs"/> (the benchmarks compare both).</summary>
    internal DigitReader(IDigitClassifier classifier, bool readPairs)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        Classifier = classifier;
        var backend = BackendOf(classifier);
        _pairs = readPairs ? backend : null;
        // Readers over one of this library's classifiers share its count: they compete for the same cores.
        _reads = backend?.Reads ?? new ReadCounter();
    }

    private static DigitClassifierBase? BackendOf(IDigitClassifier classifier) => classifier switch
    {
        Hosting.InstrumentedDigitClassifier instrumented => BackendOf(instrumented.Inner),
        DigitClassifierBase backend => backend,
        _ => null,
    };

    /// <summary>The classifier that recognises each digit.</summary>
    public IDigitClassifier Classifier { get; }

    /// <summary>
    /// Whether a read may take a second core where one is spare, to cut out and normalise candidates beside the caller's
    /// thread and run the pair model's pass while the caller runs the digit model's (the benchmarks time both ways).
    /// </summary>
    internal bool UseSpareCore { get; init; } = true;

    /// <summary>Reads the number in an image file.</summary>
    /// <exception cref="DigitImageException">The file is not an accepted image, is too large, or shows no line of digits.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public NumberReading Read(string imagePath) => Read(imagePath, null);

    /// <summary>Reads the number in an image file, of as many digits as <paramref name="options"/> allow (null: any number, refused beyond <see cref="MaxDigits"/>).</summary>
    /// <exception cref="DigitImageException">The file is not an accepted image, is too large, or shows no line of that many digits.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public NumberReading Read(string imagePath, ReadOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        options?.Validate(nameof(options));
        using var stream = new FileStream(imagePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(() => Classifier.Preprocessor.InkOf(Classifier.Preprocessor.ReadBounded(stream, imagePath), imagePath), options, imagePath);
    }

    /// <summary>Reads the number in an encoded image (PNG, JPEG, BMP or GIF).</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no line of digits.</exception>
    public NumberReading Read(byte[] encodedImage) => Read(encodedImage, null);

    /// <summary>Reads the number in an encoded image (PNG, JPEG, BMP or GIF), of as many digits as <paramref name="options"/> allow (null: any number, refused beyond <see cref="MaxDigits"/>).</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no line of that many digits.</exception>
    public NumberReading Read(byte[] encodedImage, ReadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        options?.Validate(nameof(options));
        return Read(() => Classifier.Preprocessor.InkOf(encodedImage, "image"), options, "image");
    }

    /// <summary>Reads the number in an encoded image stream, read up to the size limit.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no line of digits.</exception>
    public NumberReading Read(Stream encodedImage) => Read(encodedImage, null);

    /// <summary>Reads the number in an encoded image stream, read up to the size limit, of as many digits as <paramref name="options"/> allow (null: any number, refused beyond <see cref="MaxDigits"/>).</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no line of that many digits.</exception>
    public NumberReading Read(Stream encodedImage, ReadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        options?.Validate(nameof(options));
        return Read(() => Classifier.Preprocessor.InkOf(Classifier.Preprocessor.ReadBounded(encodedImage, "stream"), "stream"), options, "stream");
    }

    /// <summary>Reads the number in an image of any size and pixel format.</summary>
    /// <exception cref="DigitImageException">The image shows no line of digits.</exception>
    public NumberReading Read(Image image) => Read(image, null);

    /// <summary>Reads the number in an image of any size and pixel format, of as many digits as <paramref name="options"/> allow (null: any number, refused beyond <see cref="MaxDigits"/>).</summary>
    /// <exception cref="DigitImageException">The image shows no line of that many digits.</exception>
    public NumberReading Read(Image image, ReadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(image);
        options?.Validate(nameof(options));
        return Read(() => DigitImagePreprocessor.InkOf(image, "image"), options, "image");
    }

    /// <summary>Reads an encoded image stream (an upload) asynchronously, up to the size limit, and reads the number in it.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no line of digits.</exception>
    public Task<NumberReading> ReadAsync(Stream encodedImage, CancellationToken cancellationToken) =>
        ReadAsync(encodedImage, null, cancellationToken);

    /// <summary>
    /// Reads an encoded image stream (an upload) asynchronously, up to the size limit, and reads the number in it, of as
    /// many digits as <paramref name="options"/> allow (null: any number, refused beyond <see cref="MaxDigits"/>).
    /// </summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no line of that many digits.</exception>
    public async Task<NumberReading> ReadAsync(Stream encodedImage, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        options?.Validate(nameof(options));
        byte[] encoded = await Classifier.Preprocessor.ReadBoundedAsync(encodedImage, "stream", cancellationToken).ConfigureAwait(false);
        return Read(() => Classifier.Preprocessor.InkOf(encoded, "stream"), options, "stream");
    }

    /// <summary>
    /// Reads the ink that <paramref name="inkOf"/> decodes. A read takes a second core for part of its work where one is
    /// spare: while fewer reads than half the cores are running (decoding included), so that a busy service runs each
    /// read on one core, as it would without.
    /// </summary>
    private NumberReading Read(Func<GrayImage> inkOf, ReadOptions? options, string source)
    {
        bool spareCore = _reads.Enter() * 2 <= Environment.ProcessorCount && UseSpareCore;
        try
        {
            // Started before the decode, which hides the side thread's start-up.
            using var sideThread = spareCore ? new SideThread<float[]?>() : null;
            var ink = inkOf();
            try
            {
                return Decode(Analyse(ink, source, options, sideThread), ReadingCosts.Default, options, source);
            }
            finally
            {
                DigitImagePreprocessor.ReturnInk(ink);
            }
        }
        finally
        {
            _reads.Exit();
        }
    }

    /// <summary>
    /// Segments the line into pieces and classifies every plausible digit (1 to <see cref="MaxPiecesPerDigit"/>
    /// neighbouring pieces, and each group whole) in one batched call, with a second thread's help where <paramref name="spareCore"/>.
    /// </summary>
    internal LineCandidates Analyse(GrayImage ink, string source, ReadOptions? options = null, bool spareCore = false)
    {
        using var sideThread = spareCore ? new SideThread<float[]?>() : null;
        return Analyse(ink, source, options, sideThread);
    }

    /// <summary>
    /// <see cref="Analyse(GrayImage, string, ReadOptions?, bool)"/> with the side thread, if any, that the caller started:
    /// it is disposed once the candidates are made, and a second cut of the line starts another.
    /// </summary>
    private LineCandidates Analyse(GrayImage ink, string source, ReadOptions? options, SideThread<float[]?>? sideThread)
    {
        FormLines.Erase(ink, InkThreshold);
        var line = Analyse(ink, source, LineSegmenter.WideGroup, sideThread);
        // Asked for more digits than these pieces can make, it cuts narrower groups too.
        return options is null || CanRead(line, options) ? line
            : Analyse(ink, source, LineSegmenter.NarrowerWideGroup, sideThread is null ? null : new SideThread<float[]?>());
    }

    /// <summary>Whether the line's pieces can make a number of as many digits as <paramref name="options"/> allow.</summary>
    internal static bool CanRead(LineCandidates line, ReadOptions options) =>
        BestPath(line, ReadingCosts.Default, options.MinDigits, options.MaxDigits) is not null;

    private LineCandidates Analyse(GrayImage ink, string source, double wideGroup, SideThread<float[]?>? sideThread)
    {
        InkComponents? components = null;
        try
        {
            components = ComponentsInAFrame(ink, source);
            return Analyse(components, source, wideGroup, sideThread);
        }
        finally
        {
            // The side thread first: it may be cutting candidates out of the components, whose buffers go back to the pool.
            sideThread?.Dispose();
            components?.Dispose();
        }
    }

    private LineCandidates Analyse(InkComponents components, string source, double wideGroup, SideThread<float[]?>? sideThread)
    {
        var significant = InkMarks.Significant(components);
        if (LineSegmenter.CountLines(significant) is var lines and > 1)
        {
            throw new DigitImageException(DigitImageError.NoDigit,
                $"{source}: the ink forms {lines} lines, one above another; a number is read from one line of digits. Crop the image to the number's line (a page of text is not a number).");
        }
        var (pieces, lineHeight) = LineSegmenter.Split(components, significant, wideGroup);
        if (pieces.Count == 0)
        {
            throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (no ink beyond specks, rules or a box round the field). Write or photograph the number with clear contrast.");
        }

        // The caller and the side thread (where there is one) cut out and normalise the candidates together; then the
        // side thread runs the pair model's pass while this thread runs the digit model's.
        var ranges = SpanRanges(pieces, lineHeight).Concat(WholeGroups(pieces, lineHeight)).ToList();
        var work = new CandidateInputs(components, pieces, lineHeight, ranges, _pairs is not null);
        sideThread?.Post(() =>
        {
            work.Make();
            return ClassifyPairs(work.WaitAll());
        });
        work.Make();
        var made = work.WaitAll();
        var predictions = Classifier.PredictBatch(made.Select(m => m.Input).ToList());
        var pairs = sideThread is not null ? sideThread.Result() : ClassifyPairs(made);
        var candidates = new List<Candidate>(made.Count);
        for (int i = 0, p = 0; i < made.Count; i++)
        {
            var m = made[i];
            var candidate = new Candidate(m.From, m.To, m.Box, m.Input, predictions[i].Digit, predictions[i].Confidence);
            if (pairs is not null && m.PairInput is not null)
            {
                candidate = candidate with { Crop = m.Crop, Pair = pairs.AsSpan(p++ * DigitPairModule.Classes, DigitPairModule.Classes).ToArray() };
            }
            candidates.Add(candidate);
        }
        return new LineCandidates(pieces, lineHeight, candidates);
    }

    /// <summary>
    /// A candidate that may be two touching digits: within one group (digits apart are parted by the groups already) and
    /// at least <see cref="PairInput.MinWidth"/> line heights wide.
    /// </summary>
    internal static bool MayHoldTwo(List<Primitive> pieces, int from, int to, Rectangle box, int lineHeight) =>
        pieces[from].Group == pieces[to - 1].Group && box.Width >= PairInput.MinWidth * lineHeight;

    /// <summary>
    /// The ink's components, after erasing a box drawn round all of them or a rule under them all that they touch or
    /// that is too short for <see cref="FormLines"/> and <see cref="InkMarks"/> (a lone digit in its form cell, or on a
    /// rule a little wider than itself), as <c>Predict</c> erases them.
    /// </summary>
    private static InkComponents ComponentsInAFrame(GrayImage ink, string source)
    {
        var components = InkComponents.Find(ink, InkThreshold, MaxComponents, source);
        if (components.All.Count == 0)
        {
            return components;
        }
        int left = components.All.Min(c => c.Left), top = components.All.Min(c => c.Top);
        var box = Rectangle.FromLTRB(left, top, components.All.Max(c => c.Right) + 1, components.All.Max(c => c.Bottom) + 1);
        if (!Frame.TryErase(ink.Pixels.AsSpan(0, ink.Width * ink.Height), ink.Width, ink.Height, ref box, out bool emptyCell))
        {
            if (emptyCell)
            {
                components.Dispose();
                throw DigitImagePreprocessor.EmptyCell(source);
            }
            return components;
        }
        components.Dispose();
        return InkComponents.Find(ink, InkThreshold, MaxComponents, source);
    }

    /// <summary>
    /// The classified candidates of the line in an encoded image, without choosing a path (the benchmarks tune and time
    /// with them), with a second thread's help where <paramref name="spareCore"/>.
    /// </summary>
    internal LineCandidates Analyse(byte[] encodedImage, string source, ReadOptions? options = null, bool spareCore = false)
    {
        var ink = Classifier.Preprocessor.InkOf(encodedImage, source);
        try
        {
            return Analyse(ink, source, options, spareCore);
        }
        finally
        {
            DigitImagePreprocessor.ReturnInk(ink);
        }
    }

    /// <summary>Every run of 1 to <see cref="MaxPiecesPerDigit"/> neighbouring pieces that could be one digit, and its ink.</summary>
    internal static IEnumerable<(int From, int To, GrayImage Crop, Rectangle Box)> Spans(InkComponents components, List<Primitive> pieces, int lineHeight)
    {
        foreach (var (from, to) in SpanRanges(pieces, lineHeight))
        {
            if (Crop(components, pieces, from, to) is { } crop)
            {
                yield return (from, to, crop.Crop, crop.Box);
            }
        }
    }

    /// <summary>The ink of pieces <paramref name="from"/> to <paramref name="to"/> (exclusive) alone, and its box; null where they hold none.</summary>
    internal static (GrayImage Crop, Rectangle Box)? Crop(InkComponents components, List<Primitive> pieces, int from, int to) =>
        components.Crop(pieces.Skip(from).Take(to - from).SelectMany(p => p.Labels).ToHashSet(), pieces[from].X0, pieces[to - 1].X1);

    /// <summary>Every run of 1 to <see cref="MaxPiecesPerDigit"/> neighbouring pieces that could be one digit: the pieces from and to (exclusive).</summary>
    private static IEnumerable<(int From, int To)> SpanRanges(List<Primitive> pieces, int lineHeight)
    {
        for (int from = 0; from < pieces.Count; from++)
        {
            for (int to = from + 1; to <= Math.Min(pieces.Count, from + MaxPiecesPerDigit) && CanJoin(pieces, from, to, lineHeight); to++)
            {
                yield return (from, to);
            }
        }
    }

    /// <summary>
    /// Each group that no run of <see cref="SpanRanges"/> covers whole, yet at most <see cref="MaxWholeGroupWidth"/> line
    /// heights wide: the pieces from and to (exclusive). Without it, a flat digit alone on its line, cut into six pieces,
    /// could only be read as two digits. The training crops keep to the runs.
    /// </summary>
    private static IEnumerable<(int From, int To)> WholeGroups(List<Primitive> pieces, int lineHeight)
    {
        int to;
        for (int from = 0; from < pieces.Count; from = to)
        {
            to = from + 1;
            while (to < pieces.Count && pieces[to].Group == pieces[from].Group)
            {
                to++;
            }
            if (!IsRun(pieces, from, to, lineHeight) && pieces[from].GroupWidth <= MaxWholeGroupWidth * lineHeight)
            {
                yield return (from, to);
            }
        }
    }

    /// <summary>Whether pieces <paramref name="from"/> to <paramref name="to"/> (exclusive) are one of <see cref="SpanRanges"/>' runs.</summary>
    private static bool IsRun(List<Primitive> pieces, int from, int to, int lineHeight) =>
        to - from <= MaxPiecesPerDigit && CanJoin(pieces, from, to, lineHeight);

    /// <summary>The pair model's probabilities for the candidates that have its input, in one batched pass; null where there are none or the backend has no pair model.</summary>
    private float[]? ClassifyPairs(List<CandidateInputs.Made> made)
    {
        var inputs = made.Where(m => m.PairInput is not null).Select(m => m.PairInput!).ToList();
        if (_pairs is null || inputs.Count == 0)
        {
            return null;
        }
        var batch = new float[inputs.Count * PairInput.Pixels];
        for (int i = 0; i < inputs.Count; i++)
        {
            inputs[i].CopyTo(batch, i * PairInput.Pixels);
        }
        return _pairs.PairProbabilities(batch);
    }

    /// <summary>The number read along the <see cref="BestPath"/> of as many digits as <paramref name="options"/> allow.</summary>
    internal static NumberReading Decode(LineCandidates line, ReadingCosts costs, ReadOptions? options, string source)
    {
        List<Candidate>? path;
        if (options is null)
        {
            path = BestPath(line, costs, 0, MaxDigits + 1, tooMany: true)
                ?? throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (the marks cannot be put together into digits). Write the number on one line.");
            if (path.Count == 0)
            {
                throw new DigitImageException(DigitImageError.NoDigit, $"{source}: no digit found (only stray marks). Write or photograph the number with clear contrast.");
            }
            if (path.Count > MaxDigits)
            {
                throw new DigitImageException(DigitImageError.NoDigit, $"{source}: {path.Count} digits found, more than the {MaxDigits} of one number. Crop the image to one line of digits.");
            }
        }
        else
        {
            string wanted = options.MinDigits == options.MaxDigits ? $"{options.MinDigits}" : $"{options.MinDigits} to {options.MaxDigits}";
            path = BestPath(line, costs, options.MinDigits, options.MaxDigits)
                ?? throw new DigitImageException(DigitImageError.NoDigit,
                    $"{source}: no reading of {wanted} digits: its marks cannot be cut or put together into so many. Check that the image shows the whole number and that it has that many digits.");
        }
        var digits = new List<ReadDigit>(path.Count);
        for (int i = 0; i < path.Count; i++)
        {
            var c = path[i];
            if (c.PairHalf == PairHalf.Left)
            {
                // One candidate read as two digits: each half gets its own box and the 28 x 28 input of its own ink.
                var (left, right) = PairInput.Halves(c.Crop!.Value, c.Box);
                digits.Add(new ReadDigit(c.Digit, c.Confidence, left.Box, DigitImagePreprocessor.Normalize(left.Crop)));
                var next = path[++i];
                digits.Add(new ReadDigit(next.Digit, next.Confidence, right.Box, DigitImagePreprocessor.Normalize(right.Crop)));
            }
            else
            {
                digits.Add(new ReadDigit(c.Digit, c.Confidence, c.Box, c.Input));
            }
        }
        return new NumberReading(digits);
    }

    /// <summary>
    /// The left-to-right path of <paramref name="minDigits"/> to <paramref name="maxDigits"/> candidates with the highest
    /// total log-probability, less the <paramref name="costs"/> of its cuts, joins, skipped stray marks and implausible
    /// shapes; null when there is none. With <paramref name="tooMany"/>, paths of more than <paramref name="maxDigits"/>
    /// digits compete too (counted together), so that a line of too many digits is found rather than cut down. Where
    /// <paramref name="fits"/> is given, a candidate may be the k-th digit (from 0) only where it says so.
    /// </summary>
    internal static List<Candidate>? BestPath(LineCandidates line, ReadingCosts costs, int minDigits, int maxDigits, bool tooMany = false, Func<int, Candidate, bool>? fits = null)
    {
        var (pieces, lineHeight, candidates) = line;
        int counts = maxDigits + 1;
        // best[at, k]: the best score of a path over the first `at` pieces with k digits; back: the candidate that ends
        // it (-1: a stray mark passed over) and the count before it.
        var best = new double[pieces.Count + 1, counts];
        var back = new (int Candidate, int Count, int Pair)[pieces.Count + 1, counts];
        for (int at = 0; at <= pieces.Count; at++)
        {
            for (int k = 0; k < counts; k++)
            {
                best[at, k] = at == 0 && k == 0 ? 0 : double.NegativeInfinity;
            }
        }
        var byEnd = candidates.Select((c, i) => (c, i)).ToLookup(c => c.c.To);
        for (int at = 1; at <= pieces.Count; at++)
        {
            if (IsStray(line, at - 1, costs))
            {
                for (int k = 0; k < counts; k++)
                {
                    (best[at, k], back[at, k]) = (best[at - 1, k] - costs.SkipCost, (-1, k, -1));
                }
            }
            foreach (var (candidate, index) in byEnd[at])
            {
                double score = Score(candidate, line, costs);
                for (int k = 0; k < counts; k++)
                {
                    int next = k + 1;
                    if (next == counts)
                    {
                        if (!tooMany)
                        {
                            break;
                        }
                        next = k;
                    }
                    double total = best[candidate.From, k] + score;
                    if (total > best[at, next] && (fits is null || fits(k, candidate)))
                    {
                        (best[at, next], back[at, next]) = (total, (index, k, -1));
                    }
                }
                // A whole group beyond a run's limits lends the pair model's "one digit" to the group's cuts, but is not
                // read as a pair: three digits in one blob read as two of them ("822" as 82).
                if (candidate.Pair is not null && IsRun(line.Pieces, candidate.From, candidate.To, line.LineHeight))
                {
                    AddPairEdges(candidate, index, PairScore(candidate, line, costs));
                }
            }
        }

        // The edges that read a wide candidate as two digits, each count with the likeliest pair that fits there.
        void AddPairEdges(Candidate candidate, int index, double score)
        {
            for (int k = 0; k < counts; k++)
            {
                int next = k + 2;
                if (next >= counts)
                {
                    if (!tooMany)
                    {
                        break;
                    }
                    next = counts - 1;
                }
                int label = LikeliestPair(candidate, k);
                if (label < 0)
                {
                    continue;
                }
                double total = best[candidate.From, k] + score + Math.Log(Math.Max(candidate.Pair![label], 1e-9f));
                if (total > best[candidate.To, next])
                {
                    (best[candidate.To, next], back[candidate.To, next]) = (total, (index, k, label));
                }
            }
        }

        int LikeliestPair(Candidate candidate, int k)
        {
            int label = -1;
            float p = 0;
            for (int ab = 0; ab < 100; ab++)
            {
                if (candidate.Pair![ab] > p
                    && (fits is null || (k + 1 < maxDigits && fits(k, candidate with { Digit = ab / 10 }) && fits(k + 1, candidate with { Digit = ab % 10 }))))
                {
                    (label, p) = (ab, candidate.Pair[ab]);
                }
            }
            return label;
        }

        int end = -1;
        for (int k = minDigits; k < counts; k++)
        {
            if (!double.IsNegativeInfinity(best[pieces.Count, k]) && (end < 0 || best[pieces.Count, k] > best[pieces.Count, end]))
            {
                end = k;
            }
        }
        if (end < 0)
        {
            return null;
        }
        var path = new List<Candidate>();
        for (int at = pieces.Count, k = end; at > 0;)
        {
            var (index, before, pair) = back[at, k];
            if (index < 0)
            {
                at--;
            }
            else if (pair >= 0)
            {
                // Added right half first, as the path is built backwards: the reader parts the box when it reports them.
                var c = candidates[index];
                float confidence = MathF.Sqrt(c.Pair![pair]);
                path.Add(c with { Digit = pair % 10, Confidence = confidence, PairHalf = PairHalf.Right });
                path.Add(c with { Digit = pair / 10, Confidence = confidence, PairHalf = PairHalf.Left });
                at = c.From;
            }
            else
            {
                path.Add(candidates[index]);
                at = candidates[index].From;
            }
            k = before;
        }
        path.Reverse();
        return path;
    }

    /// <summary>Whether piece <paramref name="piece"/> is a stray mark that a path may pass over: a whole group with little ink against the line's median.</summary>
    internal static bool IsStray(LineCandidates line, int piece, ReadingCosts costs) =>
        !line.Pieces[piece].CutInside && line.Pieces[piece].GroupArea < costs.StrayInk * line.MedianInk;

    /// <summary>A candidate's log-probability less what its shape and its cuts and joins cost.</summary>
    internal static double Score(Candidate candidate, LineCandidates line, ReadingCosts costs) =>
        Math.Log(Math.Max(candidate.Confidence, 1e-9f)) - costs.DigitCost
            - (costs.JoinCost * (line.Pieces[candidate.To - 1].Group - line.Pieces[candidate.From].Group))
            - ShapeAndCut(candidate, line, costs, costs.WideDigit);

    /// <summary>
    /// What a candidate read as two digits costs besides its pair's log-probability: two digits, and its shape and end
    /// cut as for one, its width only beyond twice a wide digit's (it lies within one group, so it joins none), and
    /// <see cref="ReadingCosts.ApartPairCost"/> where that group stands apart from its neighbours.
    /// </summary>
    internal static double PairScore(Candidate candidate, LineCandidates line, ReadingCosts costs) =>
        -(2 * costs.DigitCost) - ShapeAndCut(candidate, line, costs, 2 * costs.WideDigit)
            - (line.SetApart(line.Pieces[candidate.From].Group, costs.ApartGap) ? costs.ApartPairCost : 0);

    private static double ShapeAndCut(Candidate candidate, LineCandidates line, ReadingCosts costs, double wideFrom)
    {
        var (pieces, lineHeight, _) = line;
        double cost = (costs.WidthCost * Math.Max(0, (candidate.Box.Width / (double)lineHeight) - wideFrom))
            + (costs.HeightCost * Math.Max(0, costs.ShortDigit - (candidate.Box.Height / (double)lineHeight)));
        if (candidate.To < pieces.Count && pieces[candidate.To].Group == pieces[candidate.To - 1].Group)
        {
            // A cut through a connected group: dear where the group is narrow enough for one digit, cheap where it is wide enough for two.
            double width = pieces[candidate.To].GroupWidth / (double)lineHeight;
            double wide = Math.Clamp((width - costs.NarrowGroup) / Math.Max(1e-6, costs.SeveralDigits - costs.NarrowGroup), 0, 1);
            cost += costs.CutCost + ((costs.WideCutCost - costs.CutCost) * wide)
                - (costs.OneDigitCut * Math.Log(Math.Max(1e-6, 1 - line.OneDigit[pieces[candidate.To].Group])));
        }
        return cost;
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
internal sealed record Candidate(int From, int To, Rectangle Box, PreprocessedDigit Input, int Digit, float Confidence)
{
    /// <summary>For a candidate that may be two digits: its ink, and the pair model's probabilities (<see cref="DigitPairModule.Classes"/>).</summary>
    public GrayImage? Crop { get; init; }

    /// <inheritdoc cref="Crop"/>
    public float[]? Pair { get; init; }

    /// <summary>On a path: which half of a candidate read as two digits this is.</summary>
    public PairHalf PairHalf { get; init; }
}

/// <summary>Which half of a candidate read as two digits a path's entry is.</summary>
internal enum PairHalf
{
    None,
    Left,
    Right,
}

/// <summary>A line's pieces, its height, and every candidate digit over them, classified.</summary>
internal sealed record LineCandidates(List<Primitive> Pieces, int LineHeight, List<Candidate> Candidates)
{
    /// <summary>The median piece's group ink, against which a stray mark is small.</summary>
    public double MedianInk { get; } = Pieces.Select(p => p.GroupArea).Order().ElementAt(Pieces.Count / 2);

    /// <summary>
    /// Whether group <paramref name="group"/> has a neighbour and lies at least <paramref name="gap"/> line heights from
    /// each (its pieces are consecutive: a group is the components that overlap in x).
    /// </summary>
    public bool SetApart(int group, double gap)
    {
        int first = Pieces.FindIndex(p => p.Group == group), last = Pieces.FindLastIndex(p => p.Group == group);
        double least = gap * LineHeight;
        return (first > 0 || last < Pieces.Count - 1)
            && (first == 0 || Pieces[first].X0 - Pieces[first - 1].X1 >= least)
            && (last == Pieces.Count - 1 || Pieces[last + 1].X0 - Pieces[last].X1 >= least);
    }

    /// <summary>Per group: the pair model's probability that the whole group is one digit (0 where it has not seen it).</summary>
    public double[] OneDigit { get; } = OneDigitGroups(Pieces, Candidates);

    private static double[] OneDigitGroups(List<Primitive> pieces, List<Candidate> candidates)
    {
        var oneDigit = new double[pieces.Count == 0 ? 0 : pieces.Max(p => p.Group) + 1];
        foreach (var c in candidates)
        {
            int group = pieces[c.From].Group;
            if (c.Pair is not null && pieces[c.To - 1].Group == group && (c.From == 0 || pieces[c.From - 1].Group != group) && (c.To == pieces.Count || pieces[c.To].Group != group))
            {
                oneDigit[group] = c.Pair[DigitPairModule.OneDigit];
            }
        }
        return oneDigit;
    }
}
