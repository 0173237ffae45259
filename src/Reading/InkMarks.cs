namespace MnistCnn.Core.Reading;

/// <summary>
/// Marks on a line that are not digits and would spoil its segmentation: specks (dust, a decimal point), a rule (the
/// line a form's field is written on, a comb's base line and ticks), which joins every digit above it into one group,
/// and a box drawn round the field (closed comb cells are one), which joins every digit inside it.
/// </summary>
internal static class InkMarks
{
    /// <summary>Ink at most this share of the largest component's, and shorter than a third of the tallest, is a speck.</summary>
    private const double SpeckArea = 0.04;

    /// <summary>A rule is longer than this many times the height the rest of the ink spans...</summary>
    private const double RuleLength = 1.5;

    /// <summary>...and thinner than this share of that height (a plain line)...</summary>
    private const double RuleThickness = 0.25;

    /// <summary>...or, this many times as long (a comb, whose ticks rise between the digits' cells)...</summary>
    private const double CombLength = 2.5;

    /// <summary>...has this share of its ink in a band that thin at its foot, below all the rest.</summary>
    private const double RuleInk = 0.6;

    /// <summary>A component whose ink fills less than this share of its box may be a box drawn round the field...</summary>
    private const double FrameInk = 0.3;

    /// <summary>...round other ink, or at least this many times as wide as tall (no digit is)...</summary>
    private const double FieldWidth = 1.5;

    /// <summary>...if each side's band, this share of its box deep...</summary>
    private const double FrameEdge = 0.15;

    /// <summary>...has its ink across this share of the side.</summary>
    private const double FrameSide = 0.9;

    /// <summary>The components that may be (part of) a digit: all but a box drawn round the field, specks and rules.</summary>
    public static List<InkComponent> Significant(InkComponents ink)
    {
        var components = ink.All.Where(c => !IsFrame(ink, c)).ToList();
        if (components.Count == 0)
        {
            return components;
        }
        int largest = components.Max(c => c.Area);
        int tallest = components.Max(c => c.Height);
        return components.Where(c => (c.Area > SpeckArea * largest || c.Height > tallest / 3) && !IsRule(ink, c, components, tallest)).ToList();
    }

    /// <summary>
    /// Whether <paramref name="c"/> is a rule: longer than <see cref="RuleLength"/> times the height the rest of the ink
    /// spans (the digits, however broken), and thinner than <see cref="RuleThickness"/> of it (a plain line), or with most
    /// of its ink in such a band below all the rest (a comb's base line, its short ticks rising between the digits).
    /// </summary>
    private static bool IsRule(InkComponents ink, InkComponent c, List<InkComponent> components, int tallest)
    {
        if (c.Width <= RuleLength * tallest)
        {
            return false;
        }
        int top = int.MaxValue, bottom = int.MinValue;
        foreach (var other in components.Where(o => o.Label != c.Label))
        {
            (top, bottom) = (Math.Min(top, other.Top), Math.Max(bottom, other.Bottom));
        }
        int height = top > bottom ? c.Height : bottom - top + 1;
        if (c.Width <= RuleLength * height)
        {
            return false;
        }
        int band = Math.Max(1, (int)(RuleThickness * height));
        if (c.Height <= band)
        {
            return true;
        }
        // A comb: its base line, below every digit, holds most of its ink; the short ticks rise from it between the
        // digits, and it is longer than a flat stroke of a digit broken off the rest.
        int baseTop = c.Bottom - band + 1;
        if (baseTop <= bottom || c.Width <= CombLength * height)
        {
            return false;
        }
        int w = ink.Image.Width, inBase = 0;
        for (int y = baseTop; y <= c.Bottom; y++)
        {
            for (int x = c.Left; x <= c.Right; x++)
            {
                inBase += ink.Labels[(y * w) + x] == c.Label ? 1 : 0;
            }
        }
        return inBase >= RuleInk * c.Area;
    }

    /// <summary>
    /// Whether <paramref name="c"/> is a box drawn round a field: mostly empty within its bounds, with ink along all four
    /// sides (a merged pair of digits round a 1 has not), and either round a component at least a third as tall as
    /// itself or too wide for a digit (an empty field; a square box alone may be a 0).
    /// </summary>
    private static bool IsFrame(InkComponents ink, InkComponent c)
    {
        if (c.Area >= FrameInk * c.Width * (double)c.Height
            || !(c.Width >= FieldWidth * c.Height
                || ink.All.Any(d => d.Left > c.Left && d.Right < c.Right && d.Top > c.Top && d.Bottom < c.Bottom && d.Height * 3 >= c.Height)))
        {
            return false;
        }
        int w = ink.Image.Width;
        int edgeRows = Math.Max(1, (int)(FrameEdge * c.Height)), edgeColumns = Math.Max(1, (int)(FrameEdge * c.Width));
        bool Inked(int x0, int x1, int y0, int y1)
        {
            for (int y = y0; y <= y1; y++)
            {
                for (int x = x0; x <= x1; x++)
                {
                    if (ink.Labels[(y * w) + x] == c.Label)
                    {
                        return true;
                    }
                }
            }
            return false;
        }
        double Covered(int count, Func<int, bool> inked) => Enumerable.Range(0, count).Count(inked) / (double)count;
        return Covered(c.Width, i => Inked(c.Left + i, c.Left + i, c.Top, c.Top + edgeRows - 1)) >= FrameSide
            && Covered(c.Width, i => Inked(c.Left + i, c.Left + i, c.Bottom - edgeRows + 1, c.Bottom)) >= FrameSide
            && Covered(c.Height, i => Inked(c.Left, c.Left + edgeColumns - 1, c.Top + i, c.Top + i)) >= FrameSide
            && Covered(c.Height, i => Inked(c.Right - edgeColumns + 1, c.Right, c.Top + i, c.Top + i)) >= FrameSide;
    }
}
