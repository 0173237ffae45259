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
        long area = 0, edges = 0;
        for (int y = 0; y < h; y++)
        {
            // Each boundary between ink and paper (or the border) is counted once: across each row, and against the row above.
            int row = y * w;
            bool before = false;
            for (int x = 0; x < w; x++)
            {
                bool on = v[row + x] > 0.5f;
                bool above = y > 0 && v[row - w + x] > 0.5f;
                area += on ? 1 : 0;
                edges += (on != before ? 1 : 0) + (on != above ? 1 : 0) + (on && y == h - 1 ? 1 : 0);
                before = on;
            }
            edges += before ? 1 : 0;
        }
        float target = TargetStrokeFraction * Math.Max(w, h);
        float width = edges == 0 ? 0 : 2f * area / edges;
        int radius = (int)MathF.Round((target - width) / 2f);
        if (width >= 0.7f * target || radius < 1)
        {
            return image;
        }

        // Pad by the radius so the dilated strokes keep their ends, then take a separable square max.
        int pw = w + (2 * radius), ph = h + (2 * radius);
        var padded = new float[pw * ph];
        for (int y = 0; y < h; y++)
        {
            Array.Copy(v, y * w, padded, ((y + radius) * pw) + radius, w);
        }
        var tmp = new float[pw * ph];
        MaxFilter(padded, tmp, pw, ph, radius, stepAlong: 1, stepAcross: pw);
        MaxFilter(tmp, padded, ph, pw, radius, stepAlong: pw, stepAcross: 1);
        return new GrayImage(padded, pw, ph);
    }

    /// <summary>
    /// A 1-D max filter of half-width <paramref name="radius"/> along every line (rows or columns, by the strides), in
    /// three comparisons a pixel whatever the radius (van Herk / Gil-Werman: running maxima within blocks of the window's
    /// size, forwards and backwards, so that every window is the maximum of one block's suffix and the next one's prefix).
    /// </summary>
    internal static void MaxFilter(float[] source, float[] target, int length, int lines, int radius, int stepAlong, int stepAcross)
    {
        int window = (2 * radius) + 1, padded = length + (2 * radius);
        var values = new float[padded]; // zero beyond the ends: no ink, as the window clipped to the line sees it
        var forward = new float[padded];
        var backward = new float[padded];
        for (int line = 0; line < lines; line++)
        {
            int origin = line * stepAcross;
            for (int i = 0; i < length; i++)
            {
                values[radius + i] = source[origin + (i * stepAlong)];
            }
            for (int block = 0; block < padded; block += window)
            {
                int end = Math.Min(padded, block + window) - 1;
                forward[block] = values[block];
                for (int i = block + 1; i <= end; i++)
                {
                    forward[i] = Larger(forward[i - 1], values[i]);
                }
                backward[end] = values[end];
                for (int i = end - 1; i >= block; i--)
                {
                    backward[i] = Larger(backward[i + 1], values[i]);
                }
            }
            for (int i = 0; i < length; i++)
            {
                // Output i's window is padded positions i to i + 2·radius.
                target[origin + (i * stepAlong)] = Larger(backward[i], forward[i + (2 * radius)]);
            }
        }
    }

    // Ink values are never NaN, so a plain comparison gives MathF.Max's value (up to the sign of a zero) at a fraction of its cost.
    private static float Larger(float a, float b) => a >= b ? a : b;
}
