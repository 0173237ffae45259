using MnistCnn.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistCnn.Core.Tests;

/// <summary>How the digits of a composed number stand.</summary>
internal enum Spacing
{
    /// <summary>Gaps of 3 to 8 MNIST pixels.</summary>
    Apart,

    /// <summary>Touching or overlapping by up to a quarter of a digit's width: strokes run into each other.</summary>
    Touching,
}

/// <summary>
/// Numbers written with real MNIST test digits (never training digits): each digit cropped to its ink and set on one
/// line, black on white like a scan, enlarged by a factor. Overlapping digits take the darker ink at each pixel.
/// </summary>
internal static class ComposedNumbers
{
    public static (Image<L8> Image, string Text) Compose(MnistDataset digits, IReadOnlyList<int> indexes, Spacing spacing, Random random, int scale = 2)
    {
        var crops = indexes.Select(i => Crop(digits.GetPixels(i))).ToList();
        int margin = 8;
        var offsets = new List<int>();
        int x = margin;
        foreach (var (_, w, _) in crops)
        {
            offsets.Add(x);
            int step = spacing == Spacing.Apart ? w + random.Next(3, 9) : w - random.Next(0, Math.Max(1, (w / 4) + 1));
            x += Math.Max(step, 3);
        }
        int width = x + margin + 28, height = 28 + (2 * margin);
        var ink = new byte[width * height];
        for (int k = 0; k < crops.Count; k++)
        {
            var (pixels, w, h) = crops[k];
            int top = margin + ((28 - h) / 2) + random.Next(-1, 2);
            for (int y = 0; y < h; y++)
            {
                for (int cx = 0; cx < w; cx++)
                {
                    int p = ((top + y) * width) + offsets[k] + cx;
                    ink[p] = Math.Max(ink[p], pixels[(y * w) + cx]);
                }
            }
        }
        var image = new Image<L8>(width * scale, height * scale);
        for (int y = 0; y < image.Height; y++)
        {
            for (int cx = 0; cx < image.Width; cx++)
            {
                image[cx, y] = new L8((byte)(255 - ink[((y / scale) * width) + (cx / scale)]));
            }
        }
        string text = string.Concat(indexes.Select(i => (char)('0' + digits.GetLabel(i))));
        return (image, text);
    }

    /// <summary>An MNIST digit's pixels cropped to the columns and rows that hold ink.</summary>
    public static (byte[] Pixels, int Width, int Height) Crop(byte[] digit)
    {
        int left = 28, right = -1, top = 28, bottom = -1;
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                if (digit[(y * 28) + x] > 40)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }
        int w = right - left + 1, h = bottom - top + 1;
        var crop = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            Array.Copy(digit, ((top + y) * 28) + left, crop, y * w, w);
        }
        return (crop, w, h);
    }
}
