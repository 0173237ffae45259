namespace MnistCnn.Core.Reading;

/// <summary>A piece of a line between two possible cuts: a column range and the components whose ink it takes.</summary>
internal sealed record Primitive(int X0, int X1, int Group, IReadOnlySet<int> Labels, bool CutInside, int GroupArea, int GroupWidth);

/// <summary>
/// Over-segments a line of digits into primitives, so that the classifier can choose among the ways of putting them
/// back together: of the significant ink (<see cref="InkMarks"/>), components that overlap in x are grouped (a 5's flag,
/// a 4 in two strokes), and a group wider than one digit gets candidate cuts at the minima of its column ink (touching
/// digits).
/// </summary>
internal static class LineSegmenter
{
    /// <summary>A group wider than this many line heights may hold more than one digit, and gets candidate cuts.</summary>
    internal const double WideGroup = 0.95;

    /// <summary>
    /// The same where the caller says the number has more digits than the pieces cut at <see cref="WideGroup"/> can make:
    /// two digits squeezed together can be narrower than one wide digit. Chosen on the tuning digits (<c>-- read-tune</c>):
    /// at 0.7 or below, numbers read knowing their length gain the same; 0.5 leaves the fewest refused.
    /// </summary>
    internal const double NarrowerWideGroup = 0.5;

    /// <summary>No cut closer than this many line heights to a group's edge or to another cut.</summary>
    private const double CutMargin = 0.15;

    /// <summary>A handwritten digit's usual width, in line heights, for guessing how many digits a touching group holds.</summary>
    private const double TypicalDigitWidth = 0.55;

    /// <summary>A group gets at most one candidate cut per this many line heights of its width.</summary>
    private const double MinCutSpacing = 0.2;

    /// <summary>A cut goes only where the column ink falls below this share of the group's mean: where strokes barely touch.</summary>
    private const double Valley = 0.6;

    public static (List<Primitive> Primitives, int LineHeight) Split(InkComponents ink, double wideGroup = WideGroup) =>
        Split(ink, InkMarks.Significant(ink), wideGroup);

    /// <summary>The line's pieces, from its <paramref name="significant"/> components (<see cref="InkMarks.Significant"/>), found once by the caller.</summary>
    public static (List<Primitive> Primitives, int LineHeight) Split(InkComponents ink, List<InkComponent> significant, double wideGroup)
    {
        if (significant.Count == 0)
        {
            return ([], 0);
        }
        // The line's height is that of its tallest group, not component: a broken digit's pieces are each shorter.
        var groups = GroupByColumns(significant);
        int lineHeight = groups.Max(g => g.Max(c => c.Bottom) - g.Min(c => c.Top) + 1);
        var primitives = new List<Primitive>();
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            int left = group.Min(c => c.Left), right = group.Max(c => c.Right) + 1;
            var labels = group.Select(c => c.Label).ToHashSet();
            int area = group.Sum(c => c.Area);
            var cuts = right - left > wideGroup * lineHeight ? CandidateCuts(ink, labels, left, right, lineHeight) : [];
            int start = left;
            foreach (int cut in cuts.Append(right))
            {
                primitives.Add(new Primitive(start, cut, g, labels, cuts.Count > 0, area, right - left));
                start = cut;
            }
        }
        return (primitives, lineHeight);
    }

    /// <summary>A gap between bands of ink under this share of the taller band's height is a pen lift or a faint streak, not a gap between lines.</summary>
    private const double LineGap = 0.25;

    /// <summary>Bands of line height this many lines apart are lines of writing even when each holds a single mark.</summary>
    private const double LinesApart = 0.5;

    /// <summary>A band of ink at least this share of the tallest band's height could be a line of writing; a shorter one is a mark (an underline, a 5's flag).</summary>
    private const double LineLike = 0.4;

    /// <summary>
    /// How many lines of writing the <paramref name="significant"/> ink forms, one above another: bands of rows that the components span,
    /// where bands closer than a quarter of the taller one's height are one (a digit broken across by a pen lift, every
    /// digit crossed by a faint streak). Two bands of line height count as lines when they stand at least half a line
    /// apart or both hold marks side by side, and three or more always do; a single digit broken in two does neither.
    /// </summary>
    public static int CountLines(List<InkComponent> significant)
    {
        if (significant.Count == 0)
        {
            return 0;
        }
        var bands = new List<(int Top, int Bottom, List<InkComponent> Components)>();
        foreach (var c in significant.OrderBy(c => c.Top))
        {
            if (bands.Count > 0 && c.Top <= bands[^1].Bottom + 1)
            {
                bands[^1].Components.Add(c);
                bands[^1] = (bands[^1].Top, Math.Max(bands[^1].Bottom, c.Bottom), bands[^1].Components);
            }
            else
            {
                bands.Add((c.Top, c.Bottom, [c]));
            }
        }
        for (int i = bands.Count - 1; i > 0; i--)
        {
            var (above, below) = (bands[i - 1], bands[i]);
            int taller = Math.Max(above.Bottom - above.Top, below.Bottom - below.Top) + 1;
            if (below.Top - above.Bottom - 1 < LineGap * taller)
            {
                bands[i - 1] = (above.Top, Math.Max(above.Bottom, below.Bottom), [.. above.Components, .. below.Components]);
                bands.RemoveAt(i);
            }
        }
        int tallest = bands.Max(b => b.Bottom - b.Top + 1);
        var lines = bands.Where(b => b.Bottom - b.Top + 1 >= LineLike * tallest).ToList();
        if (lines.Count < 2)
        {
            return lines.Count;
        }
        bool farApart = lines.Zip(lines.Skip(1), (a, b) => b.Top - a.Bottom - 1).Max() >= LinesApart * tallest;
        bool sideBySide = lines.Count(b => GroupByColumns(b.Components).Count >= 2) >= 2;
        return farApart || sideBySide || lines.Count >= 3 ? lines.Count : 1;
    }

    /// <summary>Components whose column ranges overlap by half the narrower one belong to one digit (or to touching ones).</summary>
    private static List<List<InkComponent>> GroupByColumns(List<InkComponent> components)
    {
        var groups = new List<List<InkComponent>>();
        int groupLeft = 0, groupRight = -1;
        foreach (var c in components.OrderBy(c => c.Left))
        {
            int overlap = Math.Min(groupRight, c.Right) - Math.Max(groupLeft, c.Left) + 1;
            if (groups.Count > 0 && overlap >= 0.5 * Math.Min(c.Width, groupRight - groupLeft + 1))
            {
                groups[^1].Add(c);
                groupRight = Math.Max(groupRight, c.Right);
            }
            else
            {
                groups.Add([c]);
                groupLeft = c.Left;
                groupRight = c.Right;
            }
        }
        return groups;
    }

    /// <summary>Columns at local minima of the group's ink, lowest first, kept apart from the edges and each other; in order.</summary>
    private static List<int> CandidateCuts(InkComponents ink, HashSet<int> labels, int left, int right, int lineHeight)
    {
        var (_, w, h) = ink.Image;
        var profile = new float[right - left];
        for (int y = 0; y < h; y++)
        {
            for (int x = left; x < right; x++)
            {
                int l = ink.Labels[(y * w) + x];
                if (l != 0 && labels.Contains(l))
                {
                    profile[x - left] += ink.Image.Pixels[(y * w) + x];
                }
            }
        }
        int margin = Math.Max(2, (int)(CutMargin * lineHeight));
        float valley = (float)(Valley * profile.Average());
        var minima = new List<int>();
        for (int i = margin; i < profile.Length - margin; i++)
        {
            float here = Smoothed(profile, i);
            if (here <= valley && here <= Smoothed(profile, i - 1) && here <= Smoothed(profile, i + 1))
            {
                minima.Add(i);
            }
        }
        // Overlapping digits leave no valley: cuts that divide the group evenly into about as many digits as its width
        // suggests, one fewer or one more, stand in for them.
        int width = right - left;
        int expected = Math.Max(2, (int)Math.Round(width / (TypicalDigitWidth * lineHeight)));
        for (int parts = Math.Max(2, expected - 1); parts <= expected + 1; parts++)
        {
            for (int j = 1; j < parts; j++)
            {
                minima.Add(j * width / parts);
            }
        }
        // One cut per fifth of a line height of width at most: enough for touching digits, few enough that every digit
        // stays within the reader's five pieces. Valleys first, then the even divisions, each by its ink.
        int maxCuts = Math.Max(1, (int)(width / (MinCutSpacing * lineHeight)));
        var chosen = new List<int>();
        foreach (int i in minima.OrderBy(i => Smoothed(profile, i) <= valley ? 0 : 1).ThenBy(i => Smoothed(profile, i)))
        {
            if (chosen.Count < maxCuts && i >= margin && i <= width - margin && chosen.All(c => Math.Abs(c - i) >= margin))
            {
                chosen.Add(i);
            }
        }
        return chosen.Select(i => left + i).Order().ToList();
    }

    private static float Smoothed(float[] profile, int i) =>
        (profile[Math.Max(0, i - 1)] + profile[i] + profile[Math.Min(profile.Length - 1, i + 1)]) / 3;
}
