using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using MnistCnn.Core.Tests;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// <c>-- read-tune</c>: chooses the reader's path costs on numbers composed from the tuning half of the MNIST test digits
/// (even indexes; the evaluation in <see cref="ReadHarness"/> uses the odd ones). Not training digits: the model has
/// learnt those, and costs tuned on its confidence there trust it more than unseen digits deserve. Each image is
/// segmented and classified once; every combination of costs then decodes the same candidates, so the grid costs little
/// beyond one read per image.
/// </summary>
internal static class ReadTuning
{
    private static readonly double[] Cuts = [1.0, 2.0];
    private static readonly double[] WideCuts = [0.0, 0.3];
    private static readonly double[] Joins = [0.5, 1.0];
    private static readonly double[] WidthCosts = [0.0, 1.0, 2.0, 4.0];
    private static readonly double[] WideDigits = [0.9, 1.1];
    private static readonly double[] HeightCosts = [5.0, 10.0];
    private static readonly double[] ShortDigits = [0.5, 0.6];
    private static readonly double[] DigitCosts = [0.0, 0.5, 1.0];
    private static readonly double[] OneDigitCuts = [0.0, 1.0];

    /// <summary>
    /// Tunes on <paramref name="perCondition"/> numbers per condition; with <paramref name="explain"/> (a condition's
    /// name) it also says why the default costs misread that condition's numbers.
    /// </summary>
    public static void Run(string mnistDirectory, int perCondition, string? model, string? explain, bool readPairs)
    {
        using var digits = MnistDataset.Load(mnistDirectory, MnistSplit.Test);
        using var classifier = model is null ? OnnxDigitClassifier.LoadPretrained() : OnnxDigitClassifier.FromFile(model);
        var reader = new DigitReader(classifier, readPairs);
        var spacings = Enum.GetValues<Spacing>();
        var lines = new List<(int Condition, string Text, LineCandidates? Line)>();
        var known = new double[spacings.Length];
        for (int c = 0; c < spacings.Length; c++)
        {
            var random = new Random(2000 + c);
            for (int n = 0; n < perCondition; n++)
            {
                var indexes = Enumerable.Range(0, 1 + (n % 10)).Select(_ => ComposedNumbers.TuningDigit(random, digits.Count)).ToList();
                var (encoded, text) = ComposedNumbers.Encode(digits, indexes, spacings[c], (CaptureStyle)(n % 3), random);
                LineCandidates? line = null;
                try
                {
                    line = reader.Analyse(encoded, "tune");
                }
                catch (DigitImageException)
                {
                    // An image the reader refuses counts as misread.
                }
                lines.Add((c, text, line));
                if (line is not null)
                {
                    var options = ReadOptions.Exactly(text.Length);
                    // The reader's own second look where the pieces cannot make so many digits.
                    var knowing = DigitReader.CanRead(line, options) ? line : reader.Analyse(encoded, "tune", options);
                    known[c] += Read(knowing, ReadingCosts.Default, options) == text ? 1.0 / perCondition : 0;
                }
            }
        }

        double Score(ReadingCosts costs, out double[] perCondition)
        {
            var exact = new int[spacings.Length];
            var total = new int[spacings.Length];
            foreach (var (c, text, line) in lines)
            {
                total[c]++;
                if (line is not null && Read(line, costs) == text)
                {
                    exact[c]++;
                }
            }
            perCondition = exact.Select((e, c) => (double)e / total[c]).ToArray();
            return perCondition.Average();
        }

        var grid =
            from cut in Cuts
            from wideCut in WideCuts
            from joinCost in Joins
            from widthCost in WidthCosts
            from wideDigit in WideDigits
            from heightCost in HeightCosts
            from shortDigit in ShortDigits
            from digitCost in DigitCosts
            from oneDigitCut in OneDigitCuts
            select new ReadingCosts { DigitCost = digitCost, OneDigitCut = oneDigitCut, CutCost = cut, WideCutCost = wideCut, JoinCost = joinCost, WidthCost = widthCost, WideDigit = wideDigit, HeightCost = heightCost, ShortDigit = shortDigit };
        var ranked = grid.Select(costs => (Costs: costs, Mean: Score(costs, out var per), Per: per)).OrderByDescending(r => r.Mean).ToList();
        Console.WriteLine($"read-tune: {perCondition} numbers of MNIST test digits (tuning half) per condition ({string.Join(", ", spacings)}), {ranked.Count} cost combinations");
        Describe("default", ReadingCosts.Default);
        var reachable = new double[spacings.Length];
        foreach (var (c, text, line) in lines)
        {
            reachable[c] += line is not null && Reachable(line, text) ? 1.0 / perCondition : 0;
        }
        Console.WriteLine($"the number's length known (ReadOptions.Exactly), default costs: {known.Average(),5:P1}  [{string.Join(" ", known.Select(r => $"{r:P0}"))}]");
        Console.WriteLine($"the true number is a path of candidates read as it (an upper bound for the costs): [{string.Join(" ", reachable.Select(r => $"{r:P0}"))}]");
        foreach (var (costs, _, _) in ranked.Take(10))
        {
            Describe("", costs);
        }
        if (explain is not null)
        {
            int condition = Array.FindIndex(spacings, s => s.ToString().Equals(explain, StringComparison.OrdinalIgnoreCase));
            if (condition < 0)
            {
                throw new ArgumentException($"--explain {explain}: not a condition ({string.Join(", ", spacings)}).");
            }
            Explain(lines.Where(l => l.Condition == condition).Select(l => (l.Text, l.Line)).ToList(), ReadingCosts.Default);
        }

        void Describe(string label, ReadingCosts costs)
        {
            double mean = Score(costs, out var per);
            Console.WriteLine($"{mean,7:P1}  [{string.Join(" ", per.Select(p => $"{p:P0}"))}]  cut {costs.CutCost} wideCut {costs.WideCutCost} join {costs.JoinCost} width {costs.WidthCost}@{costs.WideDigit} height {costs.HeightCost}@{costs.ShortDigit} digit {costs.DigitCost} one-digit cut {costs.OneDigitCut} {label}");
        }
    }

    /// <summary>
    /// For each misread number: the path the costs chose and the best-scoring path that reads the true number (none when
    /// no path of candidates does), each candidate as digit@confidence[pieces] width in line heights; then the misreads
    /// counted by kind, and the median score by which the chosen path beat a reachable true one.
    /// </summary>
    private static void Explain(List<(string Text, LineCandidates? Line)> lines, ReadingCosts costs)
    {
        int refused = 0, unreachable = 0, shorter = 0, longer = 0;
        var gaps = new List<double>();
        foreach (var (text, line) in lines)
        {
            string read = line is null ? "" : Read(line, costs);
            if (read == text)
            {
                continue;
            }
            if (line is null || read.Length == 0)
            {
                refused++;
                continue;
            }
            shorter += read.Length < text.Length ? 1 : 0;
            longer += read.Length > text.Length ? 1 : 0;
            var chosen = DigitReader.BestPath(line, costs, 0, DigitReader.MaxDigits + 1, tooMany: true)!;
            var truth = TruePath(line, text, costs);
            double chosenScore = chosen.Sum(c => DigitReader.Score(c, line, costs));
            Console.WriteLine($"{text} read as {read}: chosen {chosenScore:F2} {Path(chosen)}");
            if (truth is null)
            {
                unreachable++;
                Console.WriteLine("    no path of candidates reads it");
                continue;
            }
            double trueScore = truth.Sum(c => DigitReader.Score(c, line, costs));
            gaps.Add(chosenScore - trueScore);
            Console.WriteLine($"    true   {trueScore:F2} {Path(truth)}");

            string Path(List<Candidate> path) =>
                string.Join(" ", path.Select(c => $"{c.Digit}@{c.Confidence:F2}[{c.From}-{c.To}]{c.Box.Width / (double)line.LineHeight:F2}"));
        }
        int misread = refused + unreachable + gaps.Count;
        Console.WriteLine($"explain: {misread} of {lines.Count} misread: {refused} refused, {unreachable} with no path of candidates reading the number, "
            + $"{gaps.Count} where the chosen path outscored a true one (median by {(gaps.Count == 0 ? 0 : gaps.Order().ElementAt(gaps.Count / 2)):F2}); "
            + $"{shorter} read with too few digits, {longer} with too many");
    }

    /// <summary>
    /// The best-scoring left-to-right path of candidates that reads exactly <paramref name="text"/> (stray marks skipped as
    /// the reader would), or null when there is none.
    /// </summary>
    private static List<Candidate>? TruePath(LineCandidates line, string text, ReadingCosts costs) =>
        DigitReader.BestPath(line, costs, text.Length, text.Length, fits: (k, candidate) => text[k] - '0' == candidate.Digit);

    /// <summary>Whether some left-to-right path of candidates (stray marks may be skipped) reads exactly <paramref name="text"/>.</summary>
    private static bool Reachable(LineCandidates line, string text)
    {
        int pieces = line.Pieces.Count;
        var can = new bool[pieces + 1, text.Length + 1];
        can[0, 0] = true;
        for (int at = 1; at <= pieces; at++)
        {
            for (int k = 0; k <= text.Length; k++)
            {
                can[at, k] |= can[at - 1, k] && !line.Pieces[at - 1].CutInside;
            }
            foreach (var candidate in line.Candidates.Where(c => c.To == at))
            {
                for (int k = 1; k <= text.Length; k++)
                {
                    can[at, k] |= can[candidate.From, k - 1] && text[k - 1] - '0' == candidate.Digit;
                }
            }
        }
        return can[pieces, text.Length];
    }

    private static string Read(LineCandidates line, ReadingCosts costs, ReadOptions? options = null)
    {
        try
        {
            return DigitReader.Decode(line, costs, options, "tune").Text;
        }
        catch (DigitImageException)
        {
            return "";
        }
    }
}
