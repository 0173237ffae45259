using System.Numerics;

namespace MnistCnn.Core.Imaging;

/// <summary>
/// The levels stages, from histograms: polarity and background from the border band, the level of full ink, then the
/// background set to zero and the ink stretched to 1.
/// </summary>
internal static class Levels
{
    public const int HistogramBins = 1024;

    /// <summary>Makes the ink light and the background dark; returns the background level (median of the border).</summary>
    public static float Polarize(Span<float> gray, int w, int h)
    {
        float median = BorderMedian(gray, w, h);
        if (median > 0.5f)
        {
            Affine(gray, -1f, 1f);
            median = 1f - median;
        }
        return median;
    }

    /// <summary>The median of the border band (a twentieth of the shorter side deep).</summary>
    public static float BorderMedian(ReadOnlySpan<float> gray, int w, int h)
    {
        int band = Math.Max(1, Math.Min(w, h) / 20);
        Span<int> bins = stackalloc int[HistogramBins + 1];
        int count = 0;
        for (int y = 0; y < h; y++)
        {
            var row = gray.Slice(y * w, w);
            if (y < band || y >= h - band || w <= 2 * band)
            {
                count += Histogram(row, bins);
            }
            else
            {
                count += Histogram(row[..band], bins) + Histogram(row[(w - band)..], bins);
            }
        }
        return Quantile(bins, count, 0.5f);
    }

    /// <summary>Adds <paramref name="values"/> to a histogram of <see cref="HistogramBins"/> + 1 bins over [0, 1]; returns how many.</summary>
    public static int Histogram(ReadOnlySpan<float> values, Span<int> bins)
    {
        foreach (float v in values)
        {
            bins[Bin(v)]++;
        }
        return values.Length;
    }

    /// <summary>Sets every value to <c>clamp(v * scale + offset, 0, 1)</c>.</summary>
    private static void Affine(Span<float> values, float scale, float offset)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vScale = new Vector<float>(scale);
            var vOffset = new Vector<float>(offset);
            var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int k = 0; k < vectors.Length; k++)
            {
                vectors[k] = Vector.Min(Vector.Max((vectors[k] * vScale) + vOffset, Vector<float>.Zero), Vector<float>.One);
            }
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++)
        {
            values[i] = Math.Clamp((values[i] * scale) + offset, 0f, 1f);
        }
    }

    private static int Bin(float v) => (int)(Math.Clamp(v, 0f, 1f) * HistogramBins);

    /// <summary>The value below which a fraction <paramref name="q"/> of the <paramref name="count"/> histogrammed values lie.</summary>
    public static float Quantile(ReadOnlySpan<int> bins, int count, float q)
    {
        long target = (long)(q * count);
        long seen = 0;
        for (int b = 0; b < bins.Length; b++)
        {
            seen += bins[b];
            if (seen > target)
            {
                return (float)b / HistogramBins;
            }
        }
        return 1f;
    }

    /// <summary>
    /// The level of full ink: the 90th percentile of the pixels clearly above the background. A digit may cover well
    /// under 1% of a large canvas, so a percentile over all pixels would find only paper.
    /// </summary>
    public static float InkLevel(ReadOnlySpan<float> values, float background)
    {
        Span<int> bins = stackalloc int[HistogramBins + 1];
        float floor = background + 0.05f;
        int count = 0;
        foreach (float v in values)
        {
            if (v > floor)
            {
                bins[Bin(v)]++;
                count++;
            }
        }
        return count < 4 ? background : Quantile(bins, count, 0.9f);
    }

    public static void SuppressBackground(Span<float> gray, float floor, float ink)
    {
        float scale = 1f / Math.Max(ink - floor, 1e-6f);
        Affine(gray, scale, -floor * scale);
    }
}
