using MnistCnn.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistCnn.Core.Tests;

/// <summary>How the digits of a composed number stand.</summary>
internal enum Spacing
{
    /// <summary>Gaps of 3 to 8 MNIST pixels.</summary>
    Apart,

    /// <summary>Gaps of 0 to 2 MNIST pixels: boxes nearly touching, strokes may meet at a corner.</summary>
    Tight,

    /// <summary>Touching or overlapping by up to a quarter of a digit's width: strokes run into each other.</summary>
    Touching,

    /// <summary>Apart, but every digit's strokes broken by one or two erased bands (a faint pen, a 4 or 7 in two strokes).</summary>
    Broken,

    /// <summary>Apart or tight, scanned so small that a digit is 8 to 16 pixels tall, then enlarged (blurred).</summary>
    LowRes,
}

/// <summary>How the composed number is captured.</summary>
internal enum CaptureStyle
{
    /// <summary>Black ink on white paper, a little sensor noise, PNG.</summary>
    Scan,

    /// <summary>Grey ink on unevenly lit paper, JPEG.</summary>
    Photo,

    /// <summary>Dark strokes on a transparent background, PNG (a browser canvas export).</summary>
    Canvas,
}

/// <summary>
/// Numbers written with real MNIST test digits (never training digits): each digit cropped to its ink and set on one
/// line with a wandering baseline, enlarged, and captured in a style. Overlapping digits take the darker ink at each
/// pixel. This generator is the evaluation's own; the training crops (src/Reading) come from different code.
/// </summary>
internal static class ComposedNumbers
{
    private const int Margin = 8;

    /// <summary>
    /// A random MNIST test digit from the half that tunes the reader's costs (even indexes). Costs tuned on training
    /// digits, which the model has learnt, trust its confidence more than unseen digits deserve.
    /// </summary>
    public static int TuningDigit(Random random, int count) => 2 * random.Next(count / 2);

    /// <summary>A random MNIST test digit from the half that evaluates the reader (odd indexes), never seen by the tuning.</summary>
    public static int EvaluationDigit(Random random, int count) => (2 * random.Next(count / 2)) + 1;

    /// <summary>A black-on-white line image of the digits at <paramref name="indexes"/>, and its text.</summary>
    public static (Image<L8> Image, string Text) Compose(MnistDataset digits, IReadOnlyList<int> indexes, Spacing spacing, Random random, int scale = 2)
    {
        var (ink, width, height) = ComposeInk(digits, indexes, spacing, random);
        var image = new Image<L8>(width * scale, height * scale);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                image[x, y] = new L8((byte)(255 - ink[((y / scale) * width) + (x / scale)]));
            }
        }
        return (image, Text(digits, indexes));
    }

    /// <summary>An encoded image (PNG or JPEG) of the digits at <paramref name="indexes"/> in a spacing and capture style, and its text.</summary>
    public static (byte[] Encoded, string Text) Encode(MnistDataset digits, IReadOnlyList<int> indexes, Spacing spacing, CaptureStyle style, Random random)
    {
        var (ink, width, height) = ComposeInk(digits, indexes, spacing, random);
        using var line = Image.LoadPixelData<L8>(ink, width, height);
        if (spacing == Spacing.LowRes)
        {
            // Digits of about 20 MNIST pixels of ink become 8-16 pixels, then are enlarged 3-4x as a viewer would.
            double shrink = random.Next(8, 17) / 20.0;
            line.Mutate(c => c.Resize(Math.Max(1, (int)(width * shrink)), Math.Max(1, (int)(height * shrink)), KnownResamplers.Triangle));
            int enlarge = random.Next(3, 5);
            line.Mutate(c => c.Resize(line.Width * enlarge, line.Height * enlarge, KnownResamplers.Triangle));
        }
        else
        {
            double scale = 1.5 + (random.NextDouble() * 2.5);
            line.Mutate(c => c.Resize((int)(width * scale), (int)(height * scale), KnownResamplers.Bicubic));
        }

        return (Capture(line, style, random), Text(digits, indexes));
    }

    /// <summary>Captures a line's ink (0: paper, 255: ink) in a style: the encoded PNG or JPEG.</summary>
    public static byte[] Capture(Image<L8> line, CaptureStyle style, Random random)
    {
        using var image = new Image<Rgba32>(line.Width, line.Height);
        double lightLeft = 0.75 + (0.2 * random.NextDouble()), lightRight = 0.75 + (0.2 * random.NextDouble());
        double inkLevel = 0.1 + (0.25 * random.NextDouble());
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                double a = line[x, y].PackedValue / 255.0;
                image[x, y] = style switch
                {
                    CaptureStyle.Scan => Gray(Math.Clamp(1 - a + ((random.NextDouble() - 0.5) * 0.08), 0, 1)),
                    CaptureStyle.Photo => Gray(Paper(lightLeft, lightRight, x, image.Width) * (1 - (a * (1 - inkLevel)))),
                    _ => new Rgba32(20, 20, 30, (byte)(255 * a)),
                };
            }
        }
        using var stream = new MemoryStream();
        if (style == CaptureStyle.Photo)
        {
            image.SaveAsJpeg(stream, new JpegEncoder { Quality = 70 });
        }
        else
        {
            image.SaveAsPng(stream);
        }
        return stream.ToArray();

        static double Paper(double left, double right, int x, int width) => left + ((right - left) * x / Math.Max(1, width - 1));

        static Rgba32 Gray(double v)
        {
            byte b = (byte)Math.Round(255 * v);
            return new Rgba32(b, b, b, 255);
        }
    }

    private static string Text(MnistDataset digits, IReadOnlyList<int> indexes) =>
        string.Concat(indexes.Select(i => (char)('0' + digits.GetLabel(i))));

    /// <summary>The line's ink at MNIST scale (0: paper, 255: ink), with a margin all round.</summary>
    private static (byte[] Ink, int Width, int Height) ComposeInk(MnistDataset digits, IReadOnlyList<int> indexes, Spacing spacing, Random random)
    {
        if (spacing == Spacing.LowRes)
        {
            spacing = random.Next(2) == 0 ? Spacing.Apart : Spacing.Tight;
        }
        var crops = indexes.Select(i => Crop(digits.GetPixels(i))).ToList();
        if (spacing == Spacing.Broken)
        {
            crops = crops.Select(c => Break(c, random)).ToList();
        }
        var offsets = new List<int>();
        int x = Margin;
        foreach (var (_, w, _) in crops)
        {
            offsets.Add(x);
            int step = spacing switch
            {
                Spacing.Apart or Spacing.Broken => w + random.Next(3, 9),
                Spacing.Tight => w + random.Next(0, 3),
                _ => w - random.Next(0, Math.Max(1, (w / 4) + 1)),
            };
            x += Math.Max(step, 3);
        }
        int width = x + Margin + 28, height = 28 + (2 * Margin);
        var ink = new byte[width * height];
        for (int k = 0; k < crops.Count; k++)
        {
            var (pixels, w, h) = crops[k];
            int top = Margin + ((28 - h) / 2) + random.Next(-2, 3);
            for (int y = 0; y < h; y++)
            {
                for (int cx = 0; cx < w; cx++)
                {
                    int p = ((top + y) * width) + offsets[k] + cx;
                    ink[p] = Math.Max(ink[p], pixels[(y * w) + cx]);
                }
            }
        }
        return (ink, width, height);
    }

    /// <summary>The digit with one or two gaps of 1-2 pixels (at MNIST's scale) across it, horizontal or slanted: a pen lift, a faint scan.</summary>
    private static (byte[] Pixels, int Width, int Height) Break((byte[] Pixels, int Width, int Height) digit, Random random)
    {
        var (source, w, h) = digit;
        var pixels = (byte[])source.Clone();
        int bands = random.Next(1, 3);
        for (int b = 0; b < bands; b++)
        {
            double y0 = h * (0.3 + (0.4 * random.NextDouble()));
            double slope = (random.NextDouble() - 0.5) * 0.8;
            double thickness = 0.5 + (0.5 * random.NextDouble());
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    if (Math.Abs(y - (y0 + (slope * (x - (w / 2.0))))) < thickness)
                    {
                        pixels[(y * w) + x] = 0;
                    }
                }
            }
        }
        return (pixels, w, h);
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
