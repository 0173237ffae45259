using System.Buffers;
using System.Numerics;

namespace MnistCnn.Core.Imaging;

/// <summary>The scaling stage: a separable bicubic resampler with antialiasing, the same kernel as ImageSharp's Bicubic.</summary>
internal static class BicubicResampler
{
    /// <summary>
    /// Scales so the longer side is <c>box</c> px, keeping the aspect ratio, with an antialiased separable bicubic (Catmull-Rom)
    /// resampler whose kernel widens with the reduction, as in ImageSharp's Resize; then stretches the peak to 1.
    /// </summary>
    public static GrayImage ScaleToBox(GrayImage image, int box)
    {
        var (v, w, h) = image;
        float factor = (float)box / Math.Max(w, h);
        int sw = Math.Clamp((int)MathF.Round(w * factor), 1, box);
        int sh = Math.Clamp((int)MathF.Round(h * factor), 1, box);
        var scaled = Resample(v, w, h, sw, sh);
        float max = 0;
        foreach (float p in scaled)
        {
            max = Math.Max(max, p);
        }
        if (max > 0)
        {
            for (int i = 0; i < scaled.Length; i++)
            {
                scaled[i] = Math.Clamp(scaled[i] / max, 0f, 1f);
            }
        }
        return new GrayImage(scaled, sw, sh);
    }

    /// <summary>Scales to exactly <paramref name="sw"/> x <paramref name="sh"/> with the same resampler, peak stretched to 1.</summary>
    public static GrayImage ScaleTo(GrayImage image, int sw, int sh)
    {
        var (v, w, h) = image;
        var scaled = Resample(v, w, h, sw, sh);
        float max = 0;
        foreach (float p in scaled)
        {
            max = Math.Max(max, p);
        }
        for (int i = 0; i < scaled.Length && max > 0; i++)
        {
            scaled[i] = Math.Clamp(scaled[i] / max, 0f, 1f);
        }
        return new GrayImage(scaled, sw, sh);
    }

    /// <summary>Resamples along rows to <paramref name="sw"/> columns, then along columns to <paramref name="sh"/> rows.</summary>
    private static float[] Resample(float[] source, int w, int h, int sw, int sh)
    {
        var columns = ArrayPool<float>.Shared.Rent(sw * h);
        try
        {
            Resample(source, w, h, sw, alongRows: true, columns);
            var scaled = new float[sw * sh];
            Resample(columns, sw, h, sh, alongRows: false, scaled);
            return scaled;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(columns);
        }
    }

    /// <summary>
    /// Resamples a <paramref name="w"/> x <paramref name="h"/> image to <paramref name="size"/> along rows (new width) or
    /// columns (new height). Each output is the same sum, in the same order, as one tap after another in scalar code;
    /// the vectors only compute neighbouring lines side by side (a column pass reads them side by side already, a row
    /// pass after copying 8 rows into columns), so the result is the same to the bit.
    /// </summary>
    private static void Resample(float[] source, int w, int h, int size, bool alongRows, float[] target)
    {
        int length = alongRows ? w : h, lines = alongRows ? h : w;
        float ratio = (float)length / size;
        float spread = Math.Max(1f, ratio); // the kernel covers more source pixels when shrinking: antialiasing
        float radius = 2f * spread;
        int maxTaps = (int)MathF.Ceiling(radius * 2) + 2;
        var weights = new float[size * maxTaps];
        var firsts = new int[size];
        var counts = new int[size];
        var totals = new float[size];
        for (int i = 0; i < size; i++)
        {
            float centre = ((i + 0.5f) * ratio) - 0.5f;
            int first = Math.Max(0, (int)MathF.Ceiling(centre - radius));
            int last = Math.Min(length - 1, (int)MathF.Floor(centre + radius));
            float total = 0;
            for (int k = 0; k < last - first + 1; k++)
            {
                float weight = CatmullRom((first + k - centre) / spread);
                weights[(i * maxTaps) + k] = weight;
                total += weight;
            }
            (firsts[i], counts[i], totals[i]) = (first, last - first + 1, total);
        }

        int lanes = Vector<float>.Count;
        int vectorLines = Vector.IsHardwareAccelerated ? lines - (lines % lanes) : 0;
        // Lines side by side: along columns they are neighbouring pixels of a row; along rows, 8 rows copied column-wise.
        var block = alongRows && vectorLines > 0 ? new float[length * lanes] : null;
        for (int line = 0; line < vectorLines; line += lanes)
        {
            float[] side = source;
            int stride = w, offset = line;
            if (block is not null)
            {
                for (int j = 0; j < lanes; j++)
                {
                    for (int x = 0; x < length; x++)
                    {
                        block[(x * lanes) + j] = source[((line + j) * w) + x];
                    }
                }
                (side, stride, offset) = (block, lanes, 0);
            }
            for (int i = 0; i < size; i++)
            {
                var sum = Vector<float>.Zero;
                int from = (firsts[i] * stride) + offset;
                for (int k = 0; k < counts[i]; k++)
                {
                    sum += weights[(i * maxTaps) + k] * new Vector<float>(side, from + (k * stride));
                }
                sum /= new Vector<float>(totals[i]);
                if (block is null)
                {
                    sum.CopyTo(target, (i * w) + line);
                }
                else
                {
                    for (int j = 0; j < lanes; j++)
                    {
                        target[((line + j) * size) + i] = sum[j];
                    }
                }
            }
        }
        int stepAlong = alongRows ? 1 : w, stepAcross = alongRows ? w : 1;
        int outAlong = alongRows ? 1 : w, outAcross = alongRows ? size : 1;
        for (int line = vectorLines; line < lines; line++)
        {
            for (int i = 0; i < size; i++)
            {
                int origin = (line * stepAcross) + (firsts[i] * stepAlong);
                float sum = 0;
                for (int k = 0; k < counts[i]; k++)
                {
                    sum += weights[(i * maxTaps) + k] * source[origin + (k * stepAlong)];
                }
                target[(line * outAcross) + (i * outAlong)] = sum / totals[i];
            }
        }
    }

    /// <summary>The bicubic kernel with B = 0, C = 0.5 (Catmull-Rom), support [-2, 2].</summary>
    private static float CatmullRom(float x)
    {
        x = Math.Abs(x);
        return x < 1 ? ((1.5f * x) - 2.5f) * x * x + 1
            : x < 2 ? (((-0.5f * x) + 2.5f) * x - 4) * x + 2
            : 0;
    }
}
