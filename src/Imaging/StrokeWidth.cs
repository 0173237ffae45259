namespace MnistCnn.Core.Imaging;

/// <summary>The stroke stage: pens much thinner than MNIST's strokes are thickened before scaling washes them out.</summary>
internal static class StrokeWidth
{
    private const float TargetStrokeFraction = 0.11f; // MNIST strokes are about 2.2 px of a 20 px box

    private static int IsEdge(bool boundary) => boundary ? 1 : 0;

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
            for (int x = 0; x < w; x++)
            {
                bool on = v[(y * w) + x] > 0.5f;
                if (!on)
                {
                    continue;
                }
                area++;
                edges += IsEdge(x == 0 || v[(y * w) + x - 1] <= 0.5f)
                    + IsEdge(x == w - 1 || v[(y * w) + x + 1] <= 0.5f)
                    + IsEdge(y == 0 || v[((y - 1) * w) + x] <= 0.5f)
                    + IsEdge(y == h - 1 || v[((y + 1) * w) + x] <= 0.5f);
            }
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

    /// <summary>A 1-D max filter of half-width <paramref name="radius"/> along every line (rows or columns, by the strides).</summary>
    private static void MaxFilter(float[] source, float[] target, int length, int lines, int radius, int stepAlong, int stepAcross)
    {
        for (int line = 0; line < lines; line++)
        {
            int origin = line * stepAcross;
            for (int i = 0; i < length; i++)
            {
                float m = 0;
                for (int k = Math.Max(0, i - radius); k <= Math.Min(length - 1, i + radius); k++)
                {
                    m = Math.Max(m, source[origin + (k * stepAlong)]);
                }
                target[origin + (i * stepAlong)] = m;
            }
        }
    }
}
