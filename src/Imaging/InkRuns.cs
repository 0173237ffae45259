using System.Buffers;
using System.Numerics;

namespace MnistCnn.Core.Imaging;

/// <summary>
/// The horizontal runs of ink of an image, row by row, joined into 8-connected sets by union-find: a run touches a run
/// of the row above whose columns overlap its own widened by one (or, 4-connected, its own). Each set's root is its
/// first run in raster order. The buffers are rented and grow with the runs; <see cref="Dispose"/> returns them.
/// </summary>
internal sealed class InkRuns : IDisposable
{
    public int[] Row { get; private set; } = ArrayPool<int>.Shared.Rent(256);

    public int[] Start { get; private set; } = ArrayPool<int>.Shared.Rent(256);

    /// <summary>The run's last column (inclusive).</summary>
    public int[] End { get; private set; } = ArrayPool<int>.Shared.Rent(256);

    public int[] Parent { get; private set; } = ArrayPool<int>.Shared.Rent(256);

    public int Count { get; private set; }

    /// <summary>
    /// Finds the runs of pixels at or above <paramref name="threshold"/> and joins the touching ones, 4-connected where
    /// <paramref name="fourConnected"/> (as regions of paper are: the ink of the image's complement).
    /// </summary>
    public void Scan(float[] pixels, int w, int h, float threshold, bool fourConnected = false)
    {
        int reach = fourConnected ? 0 : 1;
        int aboveFirst = 0, aboveEnd = 0;
        for (int y = 0; y < h; y++)
        {
            int rowFirst = Count, row = y * w, above = aboveFirst;
            for (int x = 0; (x = NextAtOrAbove(pixels.AsSpan(row, w), x, threshold)) < w; x++)
            {
                int start = x;
                while (x + 1 < w && pixels[row + x + 1] >= threshold)
                {
                    x++;
                }
                int run = Add(y, start, x);
                while (above < aboveEnd && End[above] < start - reach)
                {
                    above++;
                }
                for (int a = above; a < aboveEnd && Start[a] <= x + reach; a++)
                {
                    Union(run, a);
                }
            }
            (aboveFirst, aboveEnd) = (rowFirst, Count);
        }
    }

    /// <summary>Points every run's <see cref="Parent"/> straight at its set's root (a parent is always an earlier run).</summary>
    public void Flatten()
    {
        for (int run = 0; run < Count; run++)
        {
            Parent[run] = Parent[Parent[run]];
        }
    }

    /// <summary>The root of a run's set, halving the path on the way.</summary>
    private int Root(int run)
    {
        while (Parent[run] != run)
        {
            Parent[run] = Parent[Parent[run]];
            run = Parent[run];
        }
        return run;
    }

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(Row);
        ArrayPool<int>.Shared.Return(Start);
        ArrayPool<int>.Shared.Return(End);
        ArrayPool<int>.Shared.Return(Parent);
    }

    private int Add(int y, int start, int end)
    {
        if (Count == Row.Length)
        {
            Row = Grow(Row);
            Start = Grow(Start);
            End = Grow(End);
            Parent = Grow(Parent);
        }
        (Row[Count], Start[Count], End[Count], Parent[Count]) = (y, start, end, Count);
        return Count++;
    }

    /// <summary>Joins two sets under the earlier root, so that a root stays its set's first run.</summary>
    private void Union(int a, int b)
    {
        (a, b) = (Root(a), Root(b));
        if (a != b)
        {
            Parent[Math.Max(a, b)] = Math.Min(a, b);
        }
    }

    private int[] Grow(int[] array)
    {
        var larger = ArrayPool<int>.Shared.Rent(array.Length * 2);
        Array.Copy(array, larger, Count);
        ArrayPool<int>.Shared.Return(array);
        return larger;
    }

    /// <summary>The first index from <paramref name="from"/> on whose value is at least <paramref name="threshold"/>, or the length: a whole vector of paper at a time.</summary>
    private static int NextAtOrAbove(ReadOnlySpan<float> row, int from, float threshold)
    {
        var limit = new Vector<float>(threshold);
        int x = from;
        for (; x <= row.Length - Vector<float>.Count; x += Vector<float>.Count)
        {
            if (Vector.GreaterThanOrEqualAny(new Vector<float>(row[x..]), limit))
            {
                break;
            }
        }
        while (x < row.Length && row[x] < threshold)
        {
            x++;
        }
        return x;
    }
}
