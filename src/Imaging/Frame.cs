using System.Buffers;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Imaging;

/// <summary>
/// The frame stage: a box drawn round the digit (a form's character cell cropped with its lines), or the rule it is
/// written on, is erased, so that the crop is the digit's. A frame is the ink box's four sides each inked nearly all
/// along, in thin lines, round ink at least a third as tall as itself; a rule is such a line along the bottom alone that
/// runs on past the ink above it at both ends, with a short tick at each end in a comb's cell. A frame or a comb's cell
/// with nothing in it is an empty cell (a 0 drawn as a thin sharp-cornered square is one too).
/// </summary>
internal static class Frame
{
    /// <summary>A pixel at least this dark (of ink stretched to 1) is a line's.</summary>
    private const float Inked = 0.2f;

    /// <summary>A side's line lies within this share of the box from its edge...</summary>
    private const double Edge = 0.15;

    /// <summary>...inked along at least this share of the side...</summary>
    private const double Covered = 0.9;

    /// <summary>...and, at its median, no thicker than this share of the box's shorter side (and 2 pixels).</summary>
    private const double Thickness = 0.1;

    /// <summary>A line under the ink (a field's rule) runs on past the ink left at each end by this share of its width; a 2's foot or a 7's bar does not.</summary>
    private const double RunOn = 0.25;

    /// <summary>A comb's tick at each end of a rule stands at least this share of the box's height...</summary>
    private const double MinTick = 0.1;

    /// <summary>...and at most this share (a digit's stroke at the edge is taller, and not as thin).</summary>
    private const double MaxTick = 0.6;

    /// <summary>
    /// An empty comb's ticks stand further apart than this many times their length; two 1s written on a rule as wide as
    /// themselves stand closer.
    /// </summary>
    internal const double EmptyCombSpacing = 1.33;

    /// <summary>The ink inside is at least this share of the frame's height.</summary>
    private const double Content = 1 / 3.0;

    /// <summary>
    /// Erases a frame drawn round the ink of <paramref name="v"/> (<paramref name="w"/> x <paramref name="h"/>), whose ink
    /// box is <paramref name="box"/>, or a line drawn under it that runs on past it at both ends, and returns true with
    /// the box of the ink left; false, and <paramref name="v"/> as it was, when the ink box is neither round a digit.
    /// <paramref name="empty"/> says that the ink is a frame or a comb's cell with nothing in it: less ink left than a
    /// stroke a third of its height (an empty form cell; a 0 drawn as a thin square with sharp corners looks the same).
    /// </summary>
    public static bool TryErase(Span<float> v, int w, int h, ref Rectangle box, out bool empty)
    {
        empty = false;
        // Cheapest first: without a line along its bottom, the ink is neither framed nor underlined.
        ReadOnlySpan<Side> sides = [Side.Bottom, Side.Top, Side.Left, Side.Right];
        Span<int> thickness = stackalloc int[sides.Length];
        int limit = Math.Max(2, (int)(Thickness * Math.Min(box.Width, box.Height)));
        int lines = 0;
        for (; lines < sides.Length; lines++)
        {
            thickness[lines] = MedianThickness(v, w, box, sides[lines]);
            if (thickness[lines] == 0 || thickness[lines] > limit)
            {
                break;
            }
        }
        bool framed = lines == sides.Length;
        if (lines == 0)
        {
            return false;
        }
        // Erased on a copy of the box, kept only if a digit is left.
        int area = box.Width * box.Height;
        float[] saved = ArrayPool<float>.Shared.Rent(area);
        try
        {
            for (int y = 0; y < box.Height; y++)
            {
                v.Slice(((box.Y + y) * w) + box.X, box.Width).CopyTo(saved.AsSpan(y * box.Width, box.Width));
            }
            for (int s = 0; s < (framed ? sides.Length : 1); s++)
            {
                EraseLine(v, w, box, sides[s], thickness[s]);
            }
            // A comb's cell: a tick at each end of the rule, which marks it as a form's as the box's other sides would.
            int leftTick = framed ? 0 : TickRows(v, w, box, Side.Left, thickness[0]);
            int rightTick = leftTick == 0 ? 0 : TickRows(v, w, box, Side.Right, thickness[0]);
            bool combed = rightTick > 0;
            if (combed)
            {
                EraseTick(v, w, box, Side.Left, leftTick);
                EraseTick(v, w, box, Side.Right, rightTick);
            }
            // A digit, not what is left of the lines' corners: ink enough for a stroke a third of the frame's height,
            // as thick as its lines, that spans at least that height.
            float stroke = (float)(Content * box.Height * thickness[0]);
            bool digit = InkWithin(v, w, box) >= stroke;
            if (digit && InkBox.TryFind(v, w, h, out var inside) && inside.Height >= Content * box.Height
                && (framed || combed || (inside.Left - box.Left >= RunOn * inside.Width && box.Right - inside.Right >= RunOn * inside.Width)))
            {
                box = inside;
                return true;
            }
            // Nothing kept: the ink is restored, and may have been an empty cell.
            empty = (framed || combed) ? !digit : lines == 1 && digit && IsEmptyComb(v, w, box, limit, stroke);
            for (int y = 0; y < box.Height; y++)
            {
                saved.AsSpan(y * box.Width, box.Width).CopyTo(v.Slice(((box.Y + y) * w) + box.X, box.Width));
            }
            return false;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(saved);
        }
    }

    /// <summary>
    /// Whether the ink left in <paramref name="box"/> once its bottom line is erased is two thin uprights at its edges,
    /// further apart than <see cref="EmptyCombSpacing"/> times the box's height, and less than <paramref name="stroke"/>
    /// besides: an empty comb's cell, whose ticks are as tall as the box. Erases them.
    /// </summary>
    private static bool IsEmptyComb(Span<float> v, int w, Rectangle box, int limit, float stroke)
    {
        if (box.Width <= EmptyCombSpacing * box.Height)
        {
            return false;
        }
        int left = MedianThickness(v, w, box, Side.Left), right = MedianThickness(v, w, box, Side.Right);
        if (left == 0 || left > limit || right == 0 || right > limit)
        {
            return false;
        }
        EraseLine(v, w, box, Side.Left, left);
        EraseLine(v, w, box, Side.Right, right);
        return InkWithin(v, w, box) < stroke;
    }

    private static float InkWithin(ReadOnlySpan<float> v, int w, Rectangle box)
    {
        float sum = 0;
        for (int y = box.Top; y < box.Bottom; y++)
        {
            foreach (float value in v.Slice((y * w) + box.Left, box.Width))
            {
                sum += value;
            }
        }
        return sum;
    }

    /// <summary>
    /// The median thickness of the line along <paramref name="side"/>: at each place along it, the run of ink that
    /// starts within <see cref="Edge"/> of the edge; 0 where fewer than <see cref="Covered"/> of the places have one.
    /// </summary>
    private static int MedianThickness(ReadOnlySpan<float> v, int w, Rectangle box, Side side)
    {
        var view = new SideView(box, side);
        int[] runs = ArrayPool<int>.Shared.Rent(view.Length);
        try
        {
            int found = 0, missing = (int)((1 - Covered) * view.Length);
            for (int along = 0; along < view.Length; along++)
            {
                var (_, length) = LineRun(v, w, view, along);
                if (length > 0)
                {
                    runs[found++] = length;
                }
                else if (--missing < 0)
                {
                    return 0;
                }
            }
            Array.Sort(runs, 0, found);
            return runs[found / 2];
        }
        finally
        {
            ArrayPool<int>.Shared.Return(runs);
        }
    }

    /// <summary>
    /// Erases the line along <paramref name="side"/>, with the faint fringe on both sides of it; where a stroke of the
    /// digit runs on from the line (a run much thicker than the line), only the line's own thickness.
    /// </summary>
    private static void EraseLine(Span<float> v, int w, Rectangle box, Side side, int thickness)
    {
        var view = new SideView(box, side);
        for (int along = 0; along < view.Length; along++)
        {
            var (start, length) = LineRun(v, w, view, along);
            if (length == 0)
            {
                continue;
            }
            int end = start + (length <= (2 * thickness) + 1 ? length : thickness);
            for (int depth = 0; depth < end; depth++)
            {
                v[view.Index(w, along, depth)] = 0;
            }
            if (end < view.Depth && v[view.Index(w, along, end)] < Inked)
            {
                v[view.Index(w, along, end)] = 0;
            }
        }
    }

    /// <summary>
    /// How many rows a comb's tick stands above the (erased) rule at the <paramref name="side"/> edge of the box: an
    /// upright line at the very edge, as thin as the rule (1.5 times, and a pixel), ending clear below the digit, between
    /// <see cref="MinTick"/> and <see cref="MaxTick"/> of the box's height; 0 where there is none.
    /// </summary>
    private static int TickRows(ReadOnlySpan<float> v, int w, Rectangle box, Side side, int thickness)
    {
        var view = new SideView(box, side);
        int row = view.Length - 1, gap = thickness + 2;
        while (gap-- > 0 && row >= 0 && EdgeRun(v, w, view, row) == 0)
        {
            row--;
        }
        int rows = 0, thin = (int)((1.5 * thickness) + 1);
        for (; row >= 0; row--, rows++)
        {
            int run = EdgeRun(v, w, view, row);
            if (run == 0)
            {
                break;
            }
            if (run > thin)
            {
                return 0;
            }
        }
        return rows >= MinTick * box.Height && rows <= MaxTick * box.Height ? rows : 0;
    }

    /// <summary>Erases the tick of <see cref="TickRows"/>, with its faint fringe.</summary>
    private static void EraseTick(Span<float> v, int w, Rectangle box, Side side, int rows)
    {
        var view = new SideView(box, side);
        int erased = 0;
        for (int row = view.Length - 1; row >= 0 && erased < rows; row--)
        {
            int run = EdgeRun(v, w, view, row);
            if (run == 0)
            {
                continue;
            }
            for (int depth = 0; depth <= Math.Min(run, view.Depth - 1); depth++)
            {
                v[view.Index(w, row, depth)] = 0;
            }
            erased++;
        }
    }

    /// <summary>The length of the inked run that starts at the edge (or a pixel in) at place <paramref name="along"/>; 0 if none.</summary>
    private static int EdgeRun(ReadOnlySpan<float> v, int w, SideView view, int along) =>
        RunWithin(v, w, view, along, Math.Min(2, view.Depth)).Length;

    /// <summary>The run of inked pixels, from the edge inwards at place <paramref name="along"/>, that starts within the edge band; length 0 if none.</summary>
    private static (int Start, int Length) LineRun(ReadOnlySpan<float> v, int w, SideView view, int along) =>
        RunWithin(v, w, view, along, Math.Max(1, (int)(Edge * view.Depth)));

    /// <summary>The run of inked pixels, from the edge inwards at place <paramref name="along"/>, that starts within <paramref name="band"/> pixels of the edge; length 0 if none.</summary>
    private static (int Start, int Length) RunWithin(ReadOnlySpan<float> v, int w, SideView view, int along, int band)
    {
        int start = 0;
        while (start < band && v[view.Index(w, along, start)] < Inked)
        {
            start++;
        }
        if (start == band)
        {
            return (0, 0);
        }
        int end = start;
        while (end < view.Depth && v[view.Index(w, along, end)] >= Inked)
        {
            end++;
        }
        return (start, end - start);
    }

    private enum Side
    {
        Top,
        Bottom,
        Left,
        Right,
    }

    /// <summary>A box seen from one of its sides: places along the side, and depths from the edge inwards.</summary>
    private readonly struct SideView(Rectangle box, Side side)
    {
        public int Length => side is Side.Top or Side.Bottom ? box.Width : box.Height;

        public int Depth => side is Side.Top or Side.Bottom ? box.Height : box.Width;

        public int Index(int w, int along, int depth) => side switch
        {
            Side.Top => ((box.Top + depth) * w) + box.Left + along,
            Side.Bottom => ((box.Bottom - 1 - depth) * w) + box.Left + along,
            Side.Left => ((box.Top + along) * w) + box.Left + depth,
            _ => ((box.Top + along) * w) + box.Right - 1 - depth,
        };
    }
}
