using System.Buffers;
using System.Numerics;

namespace MnistCnn.Core.Imaging;

/// <summary>The stroke stage: pens much thinner than MNIST's strokes are thickened before scaling washes them out.</summary>
internal static class StrokeWidth
{
    private const float TargetStrokeFraction = 0.11f; // MNIST strokes are about 2.2 px of a 20 px box

    /// <summary>
    /// Estimates the stroke width as 2·area / boundary length and, when it is much thinner than MNIST's (about 11% of
    /// the digit's longer side), dilates the ink so that scaling to 20 px does not wash it out.
    /// </summary>
    public static GrayImage ThickenThin(GrayImage image)
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
        float target = TargetStrokeFraction * Math.Max(w, h);
        float width = edges == 0 ? 0 : 2f * area / edges;
        int radius = (int)MathF.Round((target - width) / 2f);
        if (width >= 0.7f * target || radius < 1)
        {
            return image;
        }
        return Dilate(image, radius);
    }

    /// <summary>
    /// The maximum of every (2·<paramref name="radius"/> + 1)² window, the image padded by the radius with no ink so that
    /// dilated strokes keep their ends: (width + 2·radius) x (height + 2·radius).
    /// </summary>
    /// <remarks>
    /// Separable, and each direction by doubling: after the steps of 1, 2, 4... up to half the largest power of two p
    /// within the window, every value is the maximum of the p that start at it, and two such runs cover a window. Every
    /// step is a maximum of the buffer with itself shifted, over whole rows at once, so it runs in SIMD vectors; the
    /// buffer keeps the ink 2·radius from every edge, so a window that ends in its row (or column) never reaches the next.
    /// </remarks>
    internal static GrayImage Dilate(GrayImage image, int radius)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(radius, 1);
        var (v, w, h) = image;
        int stride = w + (4 * radius), rows = h + (4 * radius);
        var rented = ArrayPool<float>.Shared.Rent(stride * rows);
        try
        {
            var buffer = rented.AsSpan(0, stride * rows);
            buffer.Clear();
            for (int y = 0; y < h; y++)
            {
                v.AsSpan(y * w, w).CopyTo(buffer[(((y + (2 * radius)) * stride) + (2 * radius))..]);
            }
            MaxOfWindows(buffer, radius, step: 1);
            MaxOfWindows(buffer, radius, step: stride);

            // The window of output (x, y) starts at buffer (x, y).
            int pw = w + (2 * radius), ph = h + (2 * radius);
            var dilated = new float[pw * ph];
            for (int y = 0; y < ph; y++)
            {
                buffer.Slice(y * stride, pw).CopyTo(dilated.AsSpan(y * pw, pw));
            }
            return new GrayImage(dilated, pw, ph);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
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
