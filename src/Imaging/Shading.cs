namespace MnistCnn.Core.Imaging;

/// <summary>
/// Uneven lighting: a photo of paper in a shadow, or lit from one side, has a background that darkens across the image,
/// and one background level for the whole image makes the dark side ink. Where the border's background differs that
/// much from one side or corner to another, the background is estimated tile by tile and taken out, as a scanner's
/// flat-field correction does: the paper becomes even and the ink keeps its contrast against the paper around it.
/// </summary>
internal static class Shading
{
    /// <summary>Border segments whose background levels differ by more than this (of the full range) are unevenly lit.</summary>
    private const float Spread = 0.2f;

    /// <summary>A stretch of border darker than this is a stroke along the edge, not paper in a shadow.</summary>
    private const float MaxShadow = 0.6f;

    /// <summary>The background of a tile or a stretch of border: this quantile of its values (ink is light, the background dark, and most of it is background).</summary>
    private const float BackgroundQuantile = 0.25f;

    /// <summary>
    /// Flattens the background of a polarized image (ink light on a dark background) in place when its border is unevenly
    /// lit; returns whether it did.
    /// </summary>
    public static bool Flatten(Span<float> gray, int w, int h)
    {
        if (!IsUneven(gray, w, h))
        {
            return false;
        }
        // Tiles a third of the shorter side: wider than a stroke, so that a quarter of each is background.
        int size = Math.Max(8, Math.Min(w, h) / 3);
        int columns = (w + size - 1) / size, rows = (h + size - 1) / size;
        var background = new float[columns * rows];
        Span<int> bins = stackalloc int[Levels.HistogramBins + 1];
        for (int ty = 0; ty < rows; ty++)
        {
            for (int tx = 0; tx < columns; tx++)
            {
                bins.Clear();
                int count = 0;
                for (int y = ty * size; y < Math.Min(h, (ty + 1) * size); y++)
                {
                    count += Levels.Histogram(gray.Slice((y * w) + (tx * size), Math.Min(size, w - (tx * size))), bins);
                }
                background[(ty * columns) + tx] = Levels.Quantile(bins, count, BackgroundQuantile);
            }
        }
        // Each pixel against the background interpolated between the tiles' centres: (v - b) / (1 - b) puts the paper
        // at 0 and keeps the ink's share of the light the paper around it reflects.
        for (int y = 0; y < h; y++)
        {
            float fy = Math.Clamp(((y + 0.5f) / size) - 0.5f, 0, rows - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, rows - 1);
            float wy = fy - y0;
            var row = gray.Slice(y * w, w);
            for (int x = 0; x < w; x++)
            {
                float fx = Math.Clamp(((x + 0.5f) / size) - 0.5f, 0, columns - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, columns - 1);
                float wx = fx - x0;
                float top = background[(y0 * columns) + x0] + (wx * (background[(y0 * columns) + x1] - background[(y0 * columns) + x0]));
                float bottom = background[(y1 * columns) + x0] + (wx * (background[(y1 * columns) + x1] - background[(y1 * columns) + x0]));
                float b = Math.Min(top + (wy * (bottom - top)), 0.95f);
                row[x] = Math.Clamp((row[x] - b) / (1 - b), 0f, 1f);
            }
        }
        return true;
    }

    /// <summary>
    /// Whether the background levels of the border band's eight segments (each side's halves) differ by more than
    /// <see cref="Spread"/>. A stroke that runs into the border covers less than three quarters of a segment, and one that
    /// runs along it is darker than <see cref="MaxShadow"/>.
    /// </summary>
    private static bool IsUneven(ReadOnlySpan<float> gray, int w, int h)
    {
        int band = Math.Max(1, Math.Min(w, h) / 20);
        if (w < 4 * band || h < 4 * band)
        {
            return false;
        }
        // Top and bottom halves of the left and right sides, left and right halves of the top and bottom.
        (int X0, int X1, int Y0, int Y1)[] segments =
        [
            (0, w / 2, 0, band), (w / 2, w, 0, band), (0, w / 2, h - band, h), (w / 2, w, h - band, h),
            (0, band, band, h / 2), (0, band, h / 2, h - band), (w - band, w, band, h / 2), (w - band, w, h / 2, h - band),
        ];
        Span<int> bins = stackalloc int[Levels.HistogramBins + 1];
        float lowest = 1, highest = 0;
        foreach (var (x0, x1, y0, y1) in segments)
        {
            bins.Clear();
            int count = 0;
            for (int y = y0; y < y1; y++)
            {
                count += Levels.Histogram(gray.Slice((y * w) + x0, x1 - x0), bins);
            }
            float level = Levels.Quantile(bins, count, BackgroundQuantile);
            if (level < MaxShadow)
            {
                (lowest, highest) = (Math.Min(lowest, level), Math.Max(highest, level));
            }
        }
        return highest > lowest && highest - lowest > Spread;
    }
}
