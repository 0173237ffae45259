using System.Buffers;
using System.Numerics;

namespace MnistCnn.Core.Imaging;

/// <summary>The stroke stage: pens much thinner than MNIST's strokes are thickened before scaling washes them out.</summary>
internal static class StrokeWidth
{
    private const float TargetStrokeFraction = 0.11f; // MNIST strokes are about 2.2 px of a 20 px box

    /// <summary>
    /// Strokes drawn as outlines (outlined lettering: a thin line round each stroke) look thin by their boundary, but
    /// closing the gaps between those lines, as much as thin strokes are thickened, and filling the channels inside
    /// them covers this much more ink than they hold; a thin pen's digit gains little (its corners).
    /// </summary>
    private const float OutlineGain = 1.4f;

    /// <summary>
    /// An outline's lines are this thin or thinner (of MNIST's stroke width): at most a third in the benchmarks' outlined
    /// font, where 96% of the thin crops of MNIST digits are thicker. Thicker strokes are not looked at for outlines,
    /// which spares the typical thin crop the closing.
    /// </summary>
    private const float OutlineLine = 0.4f;

    /// <summary>
    /// An outline's inside is a channel along the stroke, long against its depth: its area at least this many times
    /// its depth squared. A counter (the round hole of a thin pen's small loop) is less, about 3-6 times, and is kept.
    /// </summary>
    private const int Elongation = 12;

    /// <summary>An outline's inside is a hole at most this deep (of the crop's longer side, in pixels to the nearest ink); a loop's counter is deeper.</summary>
    private const float OutlineInsideDepth = 0.15f;

    /// <summary>
    /// Once a crop has a channel, a hole at most this many times as deep as its deepest channel, and one outline from
    /// the paper outside the digit, is the inside of the same outlined pen's stroke too, though too short to be long
    /// against its depth: a 1's flag or foot. Left hollow, a flag looks like the loop of a 9.
    /// </summary>
    private const float StrokeInsideDepth = 1.5f;

    /// <summary>
    /// Estimates the stroke width as 2·area / boundary length and, when it is much thinner than MNIST's (about 11% of
    /// the digit's longer side), dilates the ink so that scaling to 20 px does not wash it out; unless
    /// <paramref name="plainDilation"/>, strokes drawn as outlines are filled instead (<see cref="FillOutlines"/>), and
    /// small loops that the dilation would close are kept open (<see cref="KeepLoops"/>).
    /// </summary>
    public static GrayImage ThickenThin(GrayImage image, bool plainDilation = false)
    {
        int longerSide = Math.Max(image.Width, image.Height);
        float target = TargetStrokeFraction * longerSide;
        var (width, area) = Measure(image);
        int radius = (int)MathF.Round((target - width) / 2f);
        if (width >= 0.7f * target || radius < 1)
        {
            return image;
        }
        var dilated = Dilate(image, radius);
        if (plainDilation)
        {
            return dilated;
        }
        return (width < OutlineLine * target ? FillOutlines(dilated, radius, area, target, longerSide) : null)
            ?? KeepLoops(image, dilated, radius);
    }

    /// <summary>
    /// Opens again, as drawn, each hole of <paramref name="image"/> (paper enclosed by ink) of which its dilation by
    /// <paramref name="radius"/>, <paramref name="dilated"/>, leaves less than one pixel of the 20 px box (in place): a
    /// thin pen's small loop (the top of an 8, a narrow 0) would otherwise become a blob, and the 8 read as a 0.
    /// </summary>
    private static GrayImage KeepLoops(GrayImage image, GrayImage dilated, int radius)
    {
        var (v, w, h) = image;
        var (d, dw, _) = dilated;
        float boxPixel = MathF.Pow((float)Math.Max(w, h) / DigitImagePreprocessor.Box, 2);
        using var runs = new InkRuns();
        // By each hole's root run: how much of it the dilation leaves paper (−1: paper that reaches the border).
        var left = EnclosedPaper(image, runs);
        try
        {
            for (int r = 0; r < runs.Count; r++)
            {
                int hole = runs.Parent[r], row = (runs.Row[r] + radius) * dw;
                for (int x = runs.Start[r]; left[hole] >= 0 && x <= runs.End[r]; x++)
                {
                    left[hole] += IsInk(d[row + x + radius]) ? 0 : 1;
                }
            }
            for (int r = 0; r < runs.Count; r++)
            {
                int hole = runs.Parent[r], length = runs.End[r] - runs.Start[r] + 1;
                if (left[hole] >= 0 && left[hole] < boxPixel)
                {
                    v.AsSpan((runs.Row[r] * w) + runs.Start[r], length).CopyTo(d.AsSpan(((runs.Row[r] + radius) * dw) + runs.Start[r] + radius));
                }
            }
            return dilated;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(left);
        }
    }

    /// <summary>
    /// Scans the paper of <paramref name="image"/> (its complement's ink) into <paramref name="runs"/>, 4-connected, each
    /// run's parent its set's root; gives back, rented and indexed by root, 0 for a hole (paper enclosed by ink) and −1
    /// for paper that reaches the border.
    /// </summary>
    private static int[] EnclosedPaper(GrayImage image, InkRuns runs)
    {
        var (v, w, h) = image;
        var paper = ArrayPool<float>.Shared.Rent(w * h);
        try
        {
            // 1 − v ≥ 0.5 exactly where v ≤ 0.5: not ink.
            Complement(v.AsSpan(0, w * h), paper);
            runs.Scan(paper, w, h, 0.5f, fourConnected: true);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(paper);
        }
        runs.Flatten();
        var enclosed = ArrayPool<int>.Shared.Rent(runs.Count);
        enclosed.AsSpan(0, runs.Count).Clear();
        for (int r = 0; r < runs.Count; r++)
        {
            if (runs.Row[r] == 0 || runs.Row[r] == h - 1 || runs.Start[r] == 0 || runs.End[r] == w - 1)
            {
                enclosed[runs.Parent[r]] = -1;
            }
        }
        return enclosed;
    }

    /// <summary>
    /// Where closing the gaps of <paramref name="dilated"/> (a crop whose longer side is <paramref name="longerSide"/>,
    /// dilated by <paramref name="radius"/>) covers <see cref="OutlineGain"/> times the original ink, the strokes are outlines: the
    /// closed ink with the shallow holes inside its strokes filled, thickened if still thin. Otherwise null. Dilated
    /// alone, an outline's two lines merge into one fat stroke with a slit along it, which the model reads as another
    /// digit (an outlined 5 as 3, 0 as 6).
    /// </summary>
    private static GrayImage? FillOutlines(GrayImage dilated, int radius, long area, float target, int longerSide)
    {
        var closed = Erode(dilated, radius);
        FillShallowHoles(closed, Math.Max(1, (int)MathF.Round(OutlineInsideDepth * longerSide)));
        if (InkCount(closed.Pixels) < OutlineGain * area)
        {
            return null;
        }
        var (width, _) = Measure(closed);
        int more = (int)MathF.Round((target - width) / 2f);
        return width >= 0.7f * target || more < 1 ? closed : Dilate(closed, more);
    }

    /// <summary>The stroke width as 2·area / boundary length (0 without ink), and the area: how many pixels are ink.</summary>
    internal static (float Width, long Area) Measure(GrayImage image)
    {
        var (v, w, h) = image;
        int n = w * h;
        var pixels = v.AsSpan(0, n);
        // Each boundary between ink and paper (or the border) counted once: the ink at both ends of every row and
        // every column, and each change between neighbours along rows (not across a row's end) and down columns.
        long area = InkCount(pixels);
        long edges = Changes(pixels[1..], pixels[..^1]) + Changes(pixels[w..], pixels[..^w]) + InkCount(pixels[..w]) + InkCount(pixels[^w..]);
        for (int row = 0; row < n; row += w)
        {
            edges += (IsInk(v[row]) ? 1 : 0) + (IsInk(v[row + w - 1]) ? 1 : 0) - (row > 0 && IsInk(v[row]) != IsInk(v[row - 1]) ? 1 : 0);
        }
        return (edges == 0 ? 0 : 2f * area / edges, area);
    }

    /// <summary>
    /// The maximum of every (2·<paramref name="radius"/> + 1)² window, the image padded by the radius with no ink so that
    /// dilated strokes keep their ends: (width + 2·radius) x (height + 2·radius).
    /// </summary>
    /// <remarks>
    /// Separable, and each direction by doubling: after the steps of 1, 2, 4... up to half the largest power of two p
    /// within the window, every value is the maximum of the p that start at it, and two such runs cover a window. Every
    /// step is a maximum of the buffer with itself shifted, over whole rows at once, so it runs in SIMD vectors; the
    /// buffer keeps the ink 2·radius from every edge (a radius for <see cref="Erode"/>), so a window that ends in its row
    /// (or column) never reaches the next.
    /// </remarks>
    internal static GrayImage Dilate(GrayImage image, int radius) => WindowMaxima(image, radius, pad: 2 * radius, complement: false);

    /// <summary>
    /// The minimum of every (2·<paramref name="radius"/> + 1)² window, with no ink beyond the image: the same size. As
    /// <see cref="Dilate"/>, on the ink's complement.
    /// </summary>
    internal static GrayImage Erode(GrayImage image, int radius) => WindowMaxima(image, radius, pad: radius, complement: true);

    /// <summary>
    /// The maximum of every window of the image (or, where <paramref name="complement"/>, the minimum: the maximum of
    /// 1 − value, given back as 1 − it), with <paramref name="pad"/> pixels of paper round it; the output is the
    /// windows centred from radius − pad beyond the image's edges, so pad = 2·radius grows it by the radius all round
    /// and pad = radius keeps its size.
    /// </summary>
    private static GrayImage WindowMaxima(GrayImage image, int radius, int pad, bool complement)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(radius, 1);
        var (v, w, h) = image;
        int stride = w + (2 * pad), rows = h + (2 * pad);
        var rented = ArrayPool<float>.Shared.Rent(stride * rows);
        try
        {
            var buffer = rented.AsSpan(0, stride * rows);
            buffer.Fill(complement ? 1f : 0f);
            for (int y = 0; y < h; y++)
            {
                var row = buffer.Slice(((y + pad) * stride) + pad, w);
                if (complement)
                {
                    Complement(v.AsSpan(y * w, w), row);
                }
                else
                {
                    v.AsSpan(y * w, w).CopyTo(row);
                }
            }
            MaxOfWindows(buffer, radius, step: 1);
            MaxOfWindows(buffer, radius, step: stride);

            // The window of output (x, y) starts at buffer (x, y).
            int ow = w + (2 * (pad - radius)), oh = h + (2 * (pad - radius));
            var result = new float[ow * oh];
            for (int y = 0; y < oh; y++)
            {
                if (complement)
                {
                    Complement(buffer.Slice(y * stride, ow), result.AsSpan(y * ow, ow));
                }
                else
                {
                    buffer.Slice(y * stride, ow).CopyTo(result.AsSpan(y * ow, ow));
                }
            }
            return new GrayImage(result, ow, oh);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private static void Complement(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = 1f - source[i];
        }
    }

    /// <summary>
    /// Fills (in place) every hole, paper enclosed by ink (4-connected, not reaching the border), that is a channel: its
    /// pixels all within <paramref name="depth"/> of the ink (chessboard distance), and its area at least
    /// <see cref="Elongation"/> times the square of the deepest. Where there is a channel, a hole is a stroke's inside
    /// too if it is as shallow, no deeper than <see cref="StrokeInsideDepth"/> times the deepest channel, and within that
    /// channel's depth of the paper outside the digit: one outline from it, where a counter is two outlines and the
    /// stroke between them away.
    /// </summary>
    internal static void FillShallowHoles(GrayImage image, int depth)
    {
        var (v, w, h) = image;
        var distance = ArrayPool<int>.Shared.Rent(w * h);
        using var runs = new InkRuns();
        var size = EnclosedPaper(image, runs);
        var deepest = ArrayPool<int>.Shared.Rent(runs.Count);
        var fromOutside = ArrayPool<int>.Shared.Rent(runs.Count);
        try
        {
            ChessboardDistances(v, w, h, distance);
            deepest.AsSpan(0, runs.Count).Clear();
            for (int r = 0; r < runs.Count; r++)
            {
                int hole = runs.Parent[r], row = runs.Row[r] * w;
                for (int x = runs.Start[r]; size[hole] >= 0 && x <= runs.End[r]; x++)
                {
                    size[hole]++;
                    deepest[hole] = Math.Max(deepest[hole], distance[row + x]);
                }
            }
            int channelDepth = 0;
            for (int r = 0; r < runs.Count; r++)
            {
                channelDepth = IsChannel(runs.Parent[r]) ? Math.Max(channelDepth, deepest[runs.Parent[r]]) : channelDepth;
            }
            fromOutside.AsSpan(0, runs.Count).Fill(int.MaxValue);
            if (channelDepth > 0)
            {
                DistancesFromOutside(runs, size, w, h, distance);
                for (int r = 0; r < runs.Count; r++)
                {
                    int hole = runs.Parent[r], row = runs.Row[r] * w;
                    for (int x = runs.Start[r]; size[hole] >= 0 && x <= runs.End[r]; x++)
                    {
                        fromOutside[hole] = Math.Min(fromOutside[hole], distance[row + x]);
                    }
                }
            }
            int strokeInside = Math.Min(depth, (int)(StrokeInsideDepth * channelDepth));
            for (int r = 0; r < runs.Count; r++)
            {
                int hole = runs.Parent[r];
                if (IsChannel(hole) || (size[hole] >= 0 && deepest[hole] <= strokeInside && fromOutside[hole] <= channelDepth))
                {
                    v.AsSpan((runs.Row[r] * w) + runs.Start[r], runs.End[r] - runs.Start[r] + 1).Fill(1f);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distance);
            ArrayPool<int>.Shared.Return(size);
            ArrayPool<int>.Shared.Return(deepest);
            ArrayPool<int>.Shared.Return(fromOutside);
        }

        bool IsChannel(int hole) => size[hole] >= 0 && deepest[hole] <= depth && size[hole] >= Elongation * deepest[hole] * deepest[hole];
    }

    /// <summary>
    /// Each pixel's chessboard distance (into <paramref name="distance"/>) to the paper outside the digit: the runs of
    /// <paramref name="runs"/> whose set reaches the border (−1 in <paramref name="enclosed"/>, by root).
    /// </summary>
    private static void DistancesFromOutside(InkRuns runs, int[] enclosed, int w, int h, int[] distance)
    {
        var outside = ArrayPool<float>.Shared.Rent(w * h);
        try
        {
            outside.AsSpan(0, w * h).Clear();
            for (int r = 0; r < runs.Count; r++)
            {
                if (enclosed[runs.Parent[r]] < 0)
                {
                    outside.AsSpan((runs.Row[r] * w) + runs.Start[r], runs.End[r] - runs.Start[r] + 1).Fill(1f);
                }
            }
            ChessboardDistances(outside, w, h, distance);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(outside);
        }
    }

    /// <summary>Each pixel's chessboard distance to the nearest ink (0 on ink), in two passes; far where there is no ink.</summary>
    private static void ChessboardDistances(float[] v, int w, int h, int[] distance)
    {
        int far = w + h;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = (y * w) + x, d = IsInk(v[i]) ? 0 : far;
                if (d != 0 && x > 0) { d = Math.Min(d, distance[i - 1] + 1); }
                if (d != 0 && y > 0)
                {
                    d = Math.Min(d, distance[i - w] + 1);
                    if (x > 0) { d = Math.Min(d, distance[i - w - 1] + 1); }
                    if (x < w - 1) { d = Math.Min(d, distance[i - w + 1] + 1); }
                }
                distance[i] = d;
            }
        }
        for (int y = h - 1; y >= 0; y--)
        {
            for (int x = w - 1; x >= 0; x--)
            {
                int i = (y * w) + x, d = distance[i];
                if (d != 0 && x < w - 1) { d = Math.Min(d, distance[i + 1] + 1); }
                if (d != 0 && y < h - 1)
                {
                    d = Math.Min(d, distance[i + w] + 1);
                    if (x < w - 1) { d = Math.Min(d, distance[i + w + 1] + 1); }
                    if (x > 0) { d = Math.Min(d, distance[i + w - 1] + 1); }
                }
                distance[i] = d;
            }
        }
    }

    /// <summary>Each value becomes the maximum of the 2·radius + 1 values from it on, <paramref name="step"/> apart (in place; the tail is left partial).</summary>
    private static void MaxOfWindows(Span<float> buffer, int radius, int step)
    {
        int window = (2 * radius) + 1;
        int run = 1;
        while (run * 2 <= window)
        {
            MaxWithShifted(buffer, run * step);
            run *= 2;
        }
        if (run < window)
        {
            MaxWithShifted(buffer, (window - run) * step);
        }
    }

    /// <summary>buffer[i] = max(buffer[i], buffer[i + shift]) for every i with both in range, ascending: each value read is still the old one.</summary>
    private static void MaxWithShifted(Span<float> buffer, int shift)
    {
        int count = buffer.Length - shift;
        int i = 0;
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
        {
            Vector.Max(new Vector<float>(buffer[i..]), new Vector<float>(buffer[(i + shift)..])).CopyTo(buffer[i..]);
        }
        for (; i < count; i++)
        {
            buffer[i] = Larger(buffer[i], buffer[i + shift]);
        }
    }

    private static bool IsInk(float value) => value > 0.5f;

    private static long InkCount(ReadOnlySpan<float> values)
    {
        var half = new Vector<float>(0.5f);
        var count = Vector<int>.Zero;
        int i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            count -= Vector.GreaterThan(new Vector<float>(values[i..]), half); // true is -1
        }
        long total = Vector.Sum(count);
        for (; i < values.Length; i++)
        {
            total += IsInk(values[i]) ? 1 : 0;
        }
        return total;
    }

    /// <summary>How many positions have ink in one span and not in the other.</summary>
    private static long Changes(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var half = new Vector<float>(0.5f);
        var count = Vector<int>.Zero;
        int i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            count -= Vector.Xor(Vector.GreaterThan(new Vector<float>(a[i..]), half), Vector.GreaterThan(new Vector<float>(b[i..]), half));
        }
        long total = Vector.Sum(count);
        for (; i < a.Length; i++)
        {
            total += IsInk(a[i]) != IsInk(b[i]) ? 1 : 0;
        }
        return total;
    }

    // Ink values are never NaN, so a plain comparison gives MathF.Max's value (up to the sign of a zero) at a fraction of its cost.
    private static float Larger(float a, float b) => a >= b ? a : b;
}
