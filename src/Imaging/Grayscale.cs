using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistCnn.Core.Imaging;

/// <summary>
/// The first stage: luma (ITU-R 601) of every pixel, with transparency composited onto a background that contrasts with
/// the visible strokes (a canvas export is often dark ink on nothing).
/// </summary>
internal static class Grayscale
{
    public static void Write(Image<Rgba32> image, Span<float> gray)
    {
        int w = image.Width;
        bool transparent = false;
        long opaqueSum = 0, opaqueWeight = 0;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.DangerousGetPixelRowMemory(y).Span;
            var target = gray.Slice(y * w, w);
            for (int x = 0; x < row.Length; x++)
            {
                var p = row[x];
                int luma = (299 * p.R) + (587 * p.G) + (114 * p.B); // 0 .. 255,000
                target[x] = luma * (1f / 255_000f);
                if (p.A != 255)
                {
                    transparent = true;
                    opaqueSum += (long)luma * p.A;
                    opaqueWeight += p.A;
                }
                else
                {
                    opaqueSum += luma * 255L;
                    opaqueWeight += 255;
                }
            }
        }
        if (!transparent)
        {
            return;
        }

        // Composite onto a background that contrasts with the visible strokes (dark strokes → white paper).
        float backdrop = opaqueWeight > 0 && opaqueSum / (double)opaqueWeight < 127_500 ? 1f : 0f;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.DangerousGetPixelRowMemory(y).Span;
            var target = gray.Slice(y * w, w);
            for (int x = 0; x < row.Length; x++)
            {
                float a = row[x].A * (1f / 255f);
                target[x] = (a * target[x]) + ((1 - a) * backdrop);
            }
        }
    }
}
