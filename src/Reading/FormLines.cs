using System.Numerics;
using System.Runtime.Intrinsics;
using MnistCnn.Core.Imaging;

namespace MnistCnn.Core.Reading;

/// <summary>
/// Straight lines ruled or printed on a form that the digits touch or that cross the whole image: the rule a field is
/// written on, ruled paper, a box drawn tight round the digits, a comb's ticks, a straight strike-through. Touching the
/// digits, they join them into one component that <see cref="InkMarks"/> cannot leave out. Here a line is found as thin
/// strips of ink in a straight row, and erased where no stroke crosses it; the sides of a box and a comb's ticks go with
/// it (<c>src/Reading/README.md</c>, step 2).
/// </summary>
internal static class FormLines
{
    /// <summary>A rule is at least this many times as long as the height the other ink spans...</summary>
    private const double RuleLength = 2.0;

    /// <summary>...no thicker than this share of that height...</summary>
    private const double RuleThickness = 0.15;

    /// <summary>...and interrupted, where strokes cross it or lie along it (ink on the line all across the gap), for no more than half its length...</summary>
    private const double MinCover = 0.5;

    /// <summary>A line runs on over the ink on its line beyond its last strips by at most this many heights (the strokes that meet it at its ends).</summary>
    private const double EndReach = 1.0;

    /// <summary>The share of the other ink, at its top and at its bottom, left out of the height it spans.</summary>
    private const double OutlyingInk = 0.02;

    /// <summary>More thin strips than this (four times the components a line may have) are not looked at.</summary>
    private const int MaxStrips = 4 * DigitReader.MaxComponents;

    /// <summary>A strip of ink is at least this many times as long as it is thick.</summary>
    private const int StripLength = 4;

    /// <summary>A box's top or bottom, with a side at each end, is at least this many times as long as that height.</summary>
    private const double BoxLength = 1.0;

    /// <summary>A box's side is at least this share of the height the other ink spans.</summary>
    private const double SideLength = 0.8;

    /// <summary>A comb's tick, standing on a rule (or a wall between cells), is at least this share of that height...</summary>
    private const double TickLength = 0.2;

    /// <summary>...and at most this many times as thick as the rule.</summary>
    private const double TickThickness = 1.5;

    /// <summary>A comb's tick is at most this share of the height of the ink besides the ticks (a 1 is about as tall as the digits)...</summary>
    private const double MaxTickLength = 0.7;

    /// <summary>...and, with no other ink, stands further than this many times its length from the next.</summary>
    private const double MaxTickSpacing = Frame.EmptyCombSpacing;

    /// <summary>A row of cells' widest cell is at most this many times as wide as its narrowest (and 2 pixels).</summary>
    private const double MaxCellDifference = 1.2;

    /// <summary>A box's side leans by at most this many columns a row (a 7's stem leans more).</summary>
    private const double MaxSideLean = 0.1;

    /// <summary>Erases the rules (and a box's sides) in <paramref name="ink"/>, in place; returns how many rules it erased.</summary>
    public static int Erase(GrayImage ink, float threshold)
    {
        var (pixels, w, h) = ink;
        var runs = Runs(pixels, w, h, threshold);
        var strips = Strips(runs, out var inStrip);
        // The height of the ink that is not a long thin strip: the digits (and a box's sides).
        int height = SpanHeight(runs, h, r => !inStrip[r]);
        if (height == 0)
        {
            return 0;
        }
        var across = new Plane(pixels, w, h, threshold, Transposed: false);
        var lines = FindLines(strips, height, BoxLength, across);
        if (lines.Count == 0)
        {
            return 0;
        }
        // Vertical lines are found the same way from the runs along the rows (InkRuns' raster order: by row, then column),
        // seen as the transposed image's column runs: x an original row, y a column.
        List<StraightLine> uprights;
        using (var rowRuns = new InkRuns())
        {
            rowRuns.Scan(pixels, w, h, threshold);
            var alongRows = new Run[rowRuns.Count];
            for (int r = 0; r < alongRows.Length; r++)
            {
                alongRows[r] = new Run(rowRuns.Row[r], rowRuns.Start[r], rowRuns.End[r]);
            }
            uprights = FindLines(Strips(alongRows, out _), height, TickLength, across with { Transposed = true });
        }
        var sides = uprights.Where(upright => upright.Width >= SideLength * height && IsUpright(upright)).ToList();
        // A line shorter than a rule is a box's bottom when a side rises from each of its ends (a box open at the top), and
        // its top when those sides hang from it. Two strokes hanging from a third are a 1 or a 7 touching a 7's bar.
        var rules = lines.Where(line => line.Width >= RuleLength * height).ToList();
        var bottoms = lines.Where(line => line.Width < RuleLength * height && SideAt(line, line.X0, sides, hanging: false) is not null && SideAt(line, line.X1, sides, hanging: false) is not null).ToList();
        var boxSides = bottoms.SelectMany(line => new[] { SideAt(line, line.X0, sides, hanging: false), SideAt(line, line.X1, sides, hanging: false) }).ToHashSet();
        var tops = lines.Where(line => line.Width < RuleLength * height && boxSides.Contains(SideAt(line, line.X0, sides, hanging: true)) && boxSides.Contains(SideAt(line, line.X1, sides, hanging: true)));
        rules.AddRange(bottoms.Concat(tops).Distinct());
        var printed = PrintedUprights(rules, uprights, runs, h, r => !inStrip[r]);
        var erased = new HashSet<StraightLine>();
        foreach (var rule in rules)
        {
            Erase(rule, across);
            // A comb's ticks (or a row of cells' walls): printed upright lines standing on the rule or hanging from it,
            // two or more; one alone may be a 1 written on the rule.
            var ticks = printed.Where(upright => EndsOn(rule, upright, top: true) || EndsOn(rule, upright, top: false)).ToList();
            var walls = ticks.Count >= 2 ? ticks : new[] { SideAt(rule, rule.X0, sides), SideAt(rule, rule.X1, sides) }.OfType<StraightLine>();
            foreach (var wall in walls)
            {
                if (erased.Add(wall))
                {
                    Erase(wall, across with { Transposed = true });
                }
            }
        }
        return rules.Count;
    }

    /// <summary>
    /// The height that the <paramref name="runs"/> <paramref name="counted"/> span, less the outermost
    /// <see cref="OutlyingInk"/> of their ink at the top and at the bottom (the frayed ends of a faint rule, noise along
    /// it); 0 where there is none.
    /// </summary>
    private static int SpanHeight(Run[] runs, int h, Func<int, bool> counted)
    {
        var inkOfRow = new int[h];
        long total = 0;
        for (int r = 0; r < runs.Length; r++)
        {
            if (counted(r))
            {
                for (int y = runs[r].Y0; y <= runs[r].Y1; y++)
                {
                    inkOfRow[y]++;
                }
                total += runs[r].Length;
            }
        }
        if (total == 0)
        {
            return 0;
        }
        int top = 0, bottom = h - 1;
        for (long sum = inkOfRow[top]; sum <= OutlyingInk * total;)
        {
            sum += inkOfRow[++top];
        }
        for (long sum = inkOfRow[bottom]; sum <= OutlyingInk * total;)
        {
            sum += inkOfRow[--bottom];
        }
        return bottom - top + 1;
    }

    /// <summary>
    /// The upright lines, as thin as a rule and standing on it or hanging from it, that are printed with the form rather
    /// than written: walls from one of the <paramref name="rules"/> to another that part them into cells of one width, or a comb's tick, shorter than
    /// <see cref="MaxTickLength"/> of the height of the ink besides them (of the column <paramref name="runs"/>
    /// <paramref name="counted"/>). A 1 written on the rule with a pen as thin as the rule is as tall as the digits beside
    /// it; with no other ink, a tick is told from it by standing further than <see cref="MaxTickSpacing"/> times its
    /// length from the next.
    /// </summary>
    private static List<StraightLine> PrintedUprights(List<StraightLine> rules, List<StraightLine> uprights, Run[] runs, int h, Func<int, bool> counted)
    {
        var onRules = uprights.Where(upright => rules.Any(rule => IsTick(rule, upright))).ToList();
        if (onRules.Count == 0)
        {
            return onRules;
        }
        // The column runs through an upright line (a tick runs on into the rule it stands on) are not ink besides it.
        bool InUpright(Run run) => onRules.Any(upright =>
            run.Y1 >= upright.X0 && run.Y0 <= upright.X1 && Math.Abs(run.X - upright.YAt(Math.Clamp(run.Centre, upright.X0, upright.X1))) <= (upright.Thickness / 2) + 1);
        int height = SpanHeight(runs, h, r => counted(r) && !InUpright(runs[r]));
        // Walls run from one rule to another and part the field into cells of one width; a 1 that touches a tight box at
        // its top and its bottom does not.
        var walls = onRules.Where(upright => rules.Any(rule => EndsOn(rule, upright, top: true)) && rules.Any(rule => EndsOn(rule, upright, top: false))).ToList();
        var cells = Gaps(walls);
        if (cells.Count > 0 && cells[^1] > (MaxCellDifference * cells[0]) + 2)
        {
            walls.Clear();
        }
        var spacing = Gaps(onRules);
        return onRules.Where(upright => walls.Contains(upright)
            || (height > 0 ? upright.Width <= MaxTickLength * height : spacing.Count > 0 && MaxTickSpacing * upright.Width < spacing[spacing.Count / 2])).ToList();

        static List<double> Gaps(List<StraightLine> uprights)
        {
            var columns = uprights.Select(upright => upright.YAt((upright.X0 + upright.X1) / 2.0)).Order().ToList();
            return columns.Zip(columns.Skip(1), (left, right) => right - left).Order().ToList();
        }
    }

    /// <summary>The vertical runs of ink, column by column (in each column from the top).</summary>
    private static Run[] Runs(float[] pixels, int w, int h, float threshold)
    {
        // Row by row (the buffer's order), each column's open run started at start[x] (-1: none). Only where a pixel's
        // inking differs from the one above does a run start or end; eight columns at a time are compared.
        var found = new List<Run>();
        var start = new int[w];
        Array.Fill(start, -1);
        int vectorEnd = Vector256.IsHardwareAccelerated ? w - (w % Vector256<float>.Count) : 0;
        var limit = Vector256.Create(threshold);
        var above = new uint[(vectorEnd / Vector256<float>.Count) + 1];
        for (int y = 0; y <= h; y++)
        {
            int row = y * w;
            int x = 0;
            if (y < h)
            {
                for (int block = 0; x < vectorEnd; x += Vector256<float>.Count, block++)
                {
                    uint inked = Vector256.GreaterThanOrEqual(Vector256.Create(pixels, row + x), limit).ExtractMostSignificantBits();
                    uint changed = inked ^ above[block];
                    above[block] = inked;
                    for (; changed != 0; changed &= changed - 1)
                    {
                        int lane = BitOperations.TrailingZeroCount(changed), column = x + lane;
                        if ((inked & (1u << lane)) != 0)
                        {
                            start[column] = y;
                        }
                        else
                        {
                            found.Add(new Run(column, start[column], y - 1));
                            start[column] = -1;
                        }
                    }
                }
            }
            for (; x < w; x++)
            {
                bool inked = y < h && pixels[row + x] >= threshold;
                if (inked && start[x] < 0)
                {
                    start[x] = y;
                }
                else if (!inked && start[x] >= 0)
                {
                    found.Add(new Run(x, start[x], y - 1));
                    start[x] = -1;
                }
            }
        }
        // Found in the order they end, which within a column is from the top: a stable bucket by column keeps it.
        var first = new int[w + 1];
        foreach (var run in found)
        {
            first[run.X + 1]++;
        }
        for (int x = 0; x < w; x++)
        {
            first[x + 1] += first[x];
        }
        var runs = new Run[found.Count];
        foreach (var run in found)
        {
            runs[first[run.X]++] = run;
        }
        return runs;
    }

    /// <summary>
    /// Strips: runs in neighbouring columns that overlap (8-connected) and are about as thick, chained left to right,
    /// at least <see cref="StripLength"/> times as long as thick. A stroke that crosses or merges into a strip makes a
    /// thicker run there and ends it.
    /// </summary>
    private static List<Strip> Strips(Run[] runs, out bool[] inStrip)
    {
        // Each run's strip, and each strip's count of runs and thickness, in arrays: most strips are short pieces of
        // digits, and only the long ones become objects.
        var stripOf = new int[runs.Length];
        var taken = new bool[runs.Length];
        var count = new List<int>();
        var thickness = new List<long>();
        int previousFrom = 0, previousTo = 0;
        for (int r = 0; r < runs.Length;)
        {
            int x = runs[r].X, from = r;
            bool adjacent = previousTo > previousFrom && runs[previousFrom].X == x - 1;
            int p = previousFrom;
            for (; r < runs.Length && runs[r].X == x; r++)
            {
                var run = runs[r];
                int strip = -1;
                if (adjacent)
                {
                    while (p < previousTo && runs[p].Y1 < run.Y0 - 1)
                    {
                        p++;
                    }
                    for (int q = p; q < previousTo && runs[q].Y0 <= run.Y1 + 1; q++)
                    {
                        int s = stripOf[q];
                        double t = thickness[s] / (double)count[s];
                        if (!taken[q] && run.Length <= (1.5 * t) + 1 && run.Length >= (t / 1.5) - 1)
                        {
                            (strip, taken[q]) = (s, true);
                            break;
                        }
                    }
                }
                if (strip < 0)
                {
                    strip = count.Count;
                    count.Add(0);
                    thickness.Add(0);
                }
                stripOf[r] = strip;
                count[strip]++;
                thickness[strip] += run.Length;
            }
            (previousFrom, previousTo) = (from, r);
        }

        var strips = new Strip?[count.Count];
        inStrip = new bool[runs.Length];
        for (int r = 0; r < runs.Length; r++)
        {
            int s = stripOf[r];
            // A strip has one run a column, so its width is its count of runs.
            if (count[s] >= Math.Max(3, StripLength * thickness[s] / (double)count[s]))
            {
                (strips[s] ??= new Strip()).Add(runs[r]);
                inStrip[r] = true;
            }
        }
        return strips.OfType<Strip>().ToList();
    }

    /// <summary>
    /// Strips that line up, one after another, into a straight line at least <paramref name="length"/> times
    /// <paramref name="height"/> long, across gaps where the <paramref name="plane"/> holds ink on the line (a crossing).
    /// </summary>
    private static List<StraightLine> FindLines(List<Strip> strips, int height, double length, Plane plane)
    {
        var thin = strips.Where(s => s.Thickness <= Math.Max(2, RuleThickness * height)).OrderBy(s => s.X0).ToList();
        if (thin.Count > MaxStrips)
        {
            // Not a line of digits on a form but hatching, text or noise, which the components' limit refuses; chaining
            // so many would take time quadratic in them.
            return [];
        }
        var chains = new List<StraightLine>();
        foreach (var strip in thin)
        {
            var chain = chains.Find(c => c.CanContinue(strip, plane));
            if (chain is null)
            {
                chains.Add(new StraightLine(strip));
            }
            else
            {
                chain.Add(strip);
            }
        }
        var lines = chains.Where(c => c.Covered >= MinCover * length * height && c.IsStraight).ToList();
        foreach (var line in lines)
        {
            line.Extend((int)(EndReach * height), plane);
        }
        return lines.Where(c => c.Width >= length * height && c.Covered >= MinCover * c.Width).ToList();
    }

    /// <summary>
    /// Erases a line's strips, with their faint edges, and the line where a stroke merges into it from one side only; a
    /// stroke that crosses it keeps it, so as not to break.
    /// </summary>
    private static void Erase(StraightLine line, Plane plane)
    {
        const int fringe = 2;
        foreach (var strip in line.Strips)
        {
            foreach (var run in strip.RunBoxes)
            {
                plane.Clear(run.X, run.Y0, run.Y1, faintOnly: false);
                plane.Clear(run.X, run.Y0 - fringe, run.Y0 - 1, faintOnly: true);
                plane.Clear(run.X, run.Y1 + 1, run.Y1 + fringe, faintOnly: true);
            }
        }
        int half = Math.Max(1, (int)Math.Ceiling(line.Thickness / 2));
        for (int x = line.X0; x <= line.X1; x++)
        {
            if (line.Covers(x))
            {
                continue;
            }
            int centre = (int)Math.Round(line.YAt(x)), y0 = centre - half, y1 = centre + half;
            // A slanted stroke crosses to the next column.
            bool above = plane.Inked(x - 1, y0 - 1) || plane.Inked(x, y0 - 1) || plane.Inked(x + 1, y0 - 1);
            bool below = plane.Inked(x - 1, y1 + 1) || plane.Inked(x, y1 + 1) || plane.Inked(x + 1, y1 + 1);
            if (!(above && below))
            {
                plane.Clear(x, y0, y1, faintOnly: false);
            }
        }
    }

    /// <summary>The side that stands at column <paramref name="end"/> of <paramref name="rule"/>, rising from it or hanging down to it; null if none.</summary>
    private static StraightLine? SideAt(StraightLine rule, int end, List<StraightLine> sides, bool? hanging = null) => sides.Find(side =>
    {
        double reach = rule.Thickness + side.Thickness + 2;
        double column = side.YAt((side.X0 + side.X1) / 2.0), row = rule.YAt(end);
        return Math.Abs(column - end) <= reach
            && ((hanging != false && Math.Abs(row - side.X0) <= reach) || (hanging != true && Math.Abs(row - side.X1) <= reach));
    });

    /// <summary>Whether a line of the transposed image leans by at most <see cref="MaxSideLean"/> columns a row.</summary>
    private static bool IsUpright(StraightLine upright) => Math.Abs(upright.YAt(upright.X1) - upright.YAt(upright.X0)) <= MaxSideLean * upright.Width;

    /// <summary>Whether <paramref name="upright"/> (of the transposed image) may be a tick of <paramref name="rule"/>: upright, as thin as the rule, with an end on it.</summary>
    private static bool IsTick(StraightLine rule, StraightLine upright) =>
        IsUpright(upright) && upright.Thickness <= (TickThickness * rule.Thickness) + 1
        && (EndsOn(rule, upright, top: true) || EndsOn(rule, upright, top: false));

    /// <summary>Whether the top (or the bottom) end of <paramref name="upright"/> (of the transposed image) lies on <paramref name="line"/>.</summary>
    private static bool EndsOn(StraightLine line, StraightLine upright, bool top)
    {
        double reach = line.Thickness + upright.Thickness + 2;
        double column = upright.YAt((upright.X0 + upright.X1) / 2.0);
        if (column < line.X0 - reach || column > line.X1 + reach)
        {
            return false;
        }
        double row = line.YAt(Math.Clamp((int)Math.Round(column), line.X0, line.X1));
        return Math.Abs(row - (top ? upright.X0 : upright.X1)) <= reach;
    }

    /// <summary>
    /// The ink image seen along its rows (x a column, y a row) or, <paramref name="Transposed"/>, along its columns (x
    /// a row, y a column), so that vertical lines are found and erased as horizontal ones are.
    /// </summary>
    private readonly record struct Plane(float[] Pixels, int Width, int Height, float Threshold, bool Transposed)
    {
        private int Along => Transposed ? Height : Width;

        private int Across => Transposed ? Width : Height;

        public bool Inked(int x, int y) => x >= 0 && x < Along && y >= 0 && y < Across && Pixels[Index(x, y)] >= Threshold;

        public void Clear(int x, int y0, int y1, bool faintOnly)
        {
            for (int y = Math.Max(0, y0); y <= Math.Min(Across - 1, y1); y++)
            {
                int i = Index(x, y);
                if (!faintOnly || Pixels[i] < Threshold)
                {
                    Pixels[i] = 0;
                }
            }
        }

        private int Index(int x, int y) => Transposed ? (x * Width) + y : (y * Width) + x;
    }

    /// <summary>One vertical run of ink: column <c>X</c>, rows <c>Y0</c> to <c>Y1</c> inclusive.</summary>
    private readonly record struct Run(int X, int Y0, int Y1)
    {
        public int Length => Y1 - Y0 + 1;

        public double Centre => (Y0 + Y1) / 2.0;
    }

    /// <summary>Least-squares line through points (x, y): sums kept as points are added.</summary>
    private sealed class LineFit
    {
        private double _n, _sx, _sy, _sxx, _sxy;

        public void Add(double x, double y) => (_n, _sx, _sy, _sxx, _sxy) = (_n + 1, _sx + x, _sy + y, _sxx + (x * x), _sxy + (x * y));

        public void Add(LineFit other) => (_n, _sx, _sy, _sxx, _sxy) = (_n + other._n, _sx + other._sx, _sy + other._sy, _sxx + other._sxx, _sxy + other._sxy);

        public double YAt(double x)
        {
            double d = (_n * _sxx) - (_sx * _sx);
            if (_n < 2 || d < 1e-9)
            {
                return _sy / _n;
            }
            double slope = ((_n * _sxy) - (_sx * _sy)) / d;
            return (_sy / _n) + (slope * (x - (_sx / _n)));
        }
    }

    /// <summary>Runs chained column to column: a horizontal stroke of about even thickness.</summary>
    private sealed class Strip
    {
        private readonly List<Run> _boxes = [];
        private long _thickness;

        public LineFit Fit { get; } = new();

        public IReadOnlyList<Run> RunBoxes => _boxes;

        public int X0 => _boxes[0].X;

        public int X1 => _boxes[^1].X;

        public int Width => X1 - X0 + 1;

        public double Thickness => _thickness / (double)_boxes.Count;

        public double YAt(double x) => Fit.YAt(x);

        public void Add(Run run)
        {
            _boxes.Add(run);
            _thickness += run.Length;
            Fit.Add(run.X, run.Centre);
        }
    }

    /// <summary>Strips in a straight line, one after another.</summary>
    private sealed class StraightLine
    {
        private readonly LineFit _fit = new();
        private double _thicknessSum;

        public StraightLine(Strip first) => Add(first);

        public List<Strip> Strips { get; } = [];

        /// <summary>The line's first column: its first strip's, or further out where it runs on into a stroke that meets it.</summary>
        public int X0 { get; private set; }

        public int X1 { get; private set; }

        public int Width => X1 - X0 + 1;

        /// <summary>The columns its strips cover.</summary>
        public int Covered { get; private set; }

        public double Thickness => _thicknessSum / Covered;

        public bool IsStraight =>
            Math.Sqrt(Strips.SelectMany(s => s.RunBoxes).Average(b => Math.Pow(b.Centre - _fit.YAt(b.X), 2))) <= Math.Max(1.0, 0.35 * Thickness);

        public double YAt(double x) => _fit.YAt(x);

        public bool Covers(int x) => Strips.Any(s => x >= s.X0 && x <= s.X1);

        public void Add(Strip strip)
        {
            (X0, X1) = (Strips.Count == 0 ? strip.X0 : X0, strip.X1);
            Strips.Add(strip);
            Covered += strip.Width;
            _fit.Add(strip.Fit);
            _thicknessSum += strip.Thickness * strip.Width;
        }

        /// <summary>
        /// Runs the line's ends on over the ink on its line, up to <paramref name="reach"/> columns: the strokes that meet
        /// it at its ends (a box's sides, a digit at the end of a rule) are too thick to be strips.
        /// </summary>
        public void Extend(int reach, Plane plane)
        {
            bool OnLine(int x) => plane.Inked(x, (int)Math.Round(YAt(x)));
            int from = X0 - reach, to = X1 + reach;
            while (X0 > from && OnLine(X0 - 1))
            {
                X0--;
            }
            while (X1 < to && OnLine(X1 + 1))
            {
                X1++;
            }
        }

        /// <summary>
        /// Whether <paramref name="strip"/> continues the line: after it, across a gap that holds ink on the line all
        /// along (strokes crossing it or lying along it), in line with it and about as thick.
        /// </summary>
        public bool CanContinue(Strip strip, Plane plane)
        {
            int gap = strip.X0 - X1 - 1;
            if (gap < 0 || strip.Thickness > 2 * Thickness || strip.Thickness < Thickness / 2)
            {
                return false;
            }
            double tolerance = Math.Max(1.5, 0.5 * Thickness);
            if (Math.Abs(YAt(strip.X0) - strip.YAt(strip.X0)) > tolerance || Math.Abs(strip.YAt(X1) - YAt(X1)) > tolerance)
            {
                return false;
            }
            for (int x = X1 + 1; x < strip.X0; x++)
            {
                double y = YAt(x);
                if (!(plane.Inked(x, (int)Math.Floor(y)) || plane.Inked(x, (int)Math.Ceiling(y))))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
