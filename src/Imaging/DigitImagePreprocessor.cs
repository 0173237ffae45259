using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistCnn.Core.Imaging;

/// <summary>
/// Turns a photo, scan or canvas drawing of one digit into what an MNIST-trained model expects, following LeCun's
/// MNIST procedure: transparency composited onto a contrasting background; grayscale; dark-on-light inverted to
/// light-on-dark (polarity read from the border); background suppressed; cropped to the ink; thin strokes thickened;
/// the longer side scaled to 20 px with antialiasing; pasted into 28 x 28 centred by centre of mass; values in [0, 1].
/// </summary>
public sealed class DigitImagePreprocessor
{
    private const int Box = 20;
    private const int Size = PreprocessedDigit.Size;
    private const float MinContrast = 0.12f;
    private const float TargetStrokeFraction = 0.11f; // MNIST strokes are about 2.2 px of a 20 px box

    // A 20 px resize is too small to gain from ImageSharp's parallel row processing; the thread hand-offs cost more.
    private static readonly Configuration SingleThreaded = new() { MaxDegreeOfParallelism = 1 };

    private readonly SafeImageDecoder _decoder;

    /// <summary>Creates a preprocessor that decodes with <paramref name="options"/> (default limits when null).</summary>
    public DigitImagePreprocessor(ImageDecodingOptions? options = null)
    {
        Options = options ?? new ImageDecodingOptions();
        _decoder = new SafeImageDecoder(Options);
    }

    /// <summary>The decoding limits.</summary>
    public ImageDecodingOptions Options { get; }

    /// <summary>Decodes and preprocesses an encoded image (PNG, JPEG, BMP or GIF).</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no digit.</exception>
    public PreprocessedDigit Process(byte[] encoded, string source = "image")
    {
        ArgumentNullException.ThrowIfNull(encoded);
        using var image = _decoder.Decode(encoded, source);
        return Process(image, source);
    }

    /// <summary>Reads (up to the size limit), decodes and preprocesses an image stream.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    public PreprocessedDigit Process(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Process(_decoder.ReadBounded(stream, source), source);
    }

    /// <summary>Reads, decodes and preprocesses an image file.</summary>
    /// <exception cref="DigitImageException">The file is not an accepted image, is too large, or shows no digit.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public PreprocessedDigit ProcessFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Process(stream, path);
    }

    /// <summary>Preprocesses an image already in memory, of any pixel format.</summary>
    /// <exception cref="DigitImageException">The image shows no digit.</exception>
    public PreprocessedDigit Process(Image image, string source = "image")
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image is Image<Rgba32> rgba)
        {
            return Process(rgba, source);
        }
        using var converted = image.CloneAs<Rgba32>();
        return Process(converted, source);
    }

    private static PreprocessedDigit Process(Image<Rgba32> image, string source)
    {
        int w = image.Width, h = image.Height;
        var gray = new float[w * h];
        ToGrayscale(image, gray);
        float background = Polarize(gray, w, h);
        float ink = InkLevel(gray, background);
        if (ink - background < MinContrast)
        {
            throw NoDigit(source, $"its contrast is {ink - background:0.00}");
        }
        SuppressBackground(gray, background + (0.25f * (ink - background)), ink);
        if (!TryFindInkBox(gray, w, h, out var box))
        {
            throw NoDigit(source, "no ink was found");
        }
        float[] crop = Crop(gray, w, box, out int cw, out int ch);
        crop = ThickenThinStrokes(crop, ref cw, ref ch);
        return new PreprocessedDigit(CentreByMass(ScaleToBox(crop, cw, ch, out int sw, out int sh), sw, sh));
    }

    internal static void ToGrayscale(Image<Rgba32> image, float[] gray)
    {
        int w = image.Width;
        bool transparent = false;
        long opaqueSum = 0, opaqueWeight = 0;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                var target = gray.AsSpan(y * w, w);
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
        });
        if (!transparent)
        {
            return;
        }

        // Composite onto a background that contrasts with the visible strokes (dark strokes → white paper).
        float backdrop = opaqueWeight > 0 && opaqueSum / (double)opaqueWeight < 127_500 ? 1f : 0f;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                var target = gray.AsSpan(y * w, w);
                for (int x = 0; x < row.Length; x++)
                {
                    float a = row[x].A * (1f / 255f);
                    target[x] = (a * target[x]) + ((1 - a) * backdrop);
                }
            }
        });
    }

    /// <summary>Makes the ink light and the background dark; returns the background level (median of the border).</summary>
    internal static float Polarize(float[] gray, int w, int h)
    {
        int band = Math.Max(1, Math.Min(w, h) / 20);
        Span<int> bins = stackalloc int[HistogramBins + 1];
        int count = 0;
        for (int y = 0; y < h; y++)
        {
            bool edgeRow = y < band || y >= h - band;
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                if (edgeRow || x < band || x >= w - band)
                {
                    bins[Bin(gray[row + x])]++;
                    count++;
                }
            }
        }
        float median = Quantile(bins, count, 0.5f);
        if (median > 0.5f)
        {
            for (int i = 0; i < gray.Length; i++)
            {
                gray[i] = 1f - gray[i];
            }
            median = 1f - median;
        }
        return median;
    }

    private const int HistogramBins = 1024;

    private static int Bin(float v) => (int)(Math.Clamp(v, 0f, 1f) * HistogramBins);

    /// <summary>The value below which a fraction <paramref name="q"/> of the <paramref name="count"/> histogrammed values lie.</summary>
    private static float Quantile(ReadOnlySpan<int> bins, int count, float q)
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
    internal static float InkLevel(float[] values, float background)
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

    internal static void SuppressBackground(float[] gray, float floor, float ink)
    {
        float scale = 1f / Math.Max(ink - floor, 1e-6f);
        for (int i = 0; i < gray.Length; i++)
        {
            gray[i] = Math.Clamp((gray[i] - floor) * scale, 0f, 1f);
        }
    }

    /// <summary>The bounding box of the rows and columns that carry a meaningful share of the ink (specks are ignored).</summary>
    internal static bool TryFindInkBox(float[] v, int w, int h, out Rectangle box)
    {
        var rows = new float[h];
        var cols = new float[w];
        for (int y = 0; y < h; y++)
        {
            var row = v.AsSpan(y * w, w);
            float sum = 0;
            for (int x = 0; x < row.Length; x++)
            {
                sum += row[x];
                cols[x] += row[x];
            }
            rows[y] = sum;
        }
        float rowMax = MaxOf(rows), colMax = MaxOf(cols);
        if (rowMax <= 0)
        {
            box = default;
            return false;
        }
        float rowCut = 0.02f * rowMax, colCut = 0.02f * colMax;
        int top = Array.FindIndex(rows, r => r > rowCut), bottom = Array.FindLastIndex(rows, r => r > rowCut);
        int left = Array.FindIndex(cols, c => c > colCut), right = Array.FindLastIndex(cols, c => c > colCut);
        box = new Rectangle(left, top, right - left + 1, bottom - top + 1);
        return true;
    }

    private static float MaxOf(float[] values)
    {
        float max = 0;
        foreach (float v in values)
        {
            max = Math.Max(max, v);
        }
        return max;
    }

    private static float[] Crop(float[] v, int w, Rectangle box, out int cw, out int ch)
    {
        cw = box.Width;
        ch = box.Height;
        var crop = new float[cw * ch];
        for (int y = 0; y < ch; y++)
        {
            Array.Copy(v, ((box.Y + y) * w) + box.X, crop, y * cw, cw);
        }
        return crop;
    }

    /// <summary>
    /// Estimates the stroke width as 2·area / boundary length and, when it is much thinner than MNIST's (about 11% of
    /// the digit's longer side), dilates the ink so that scaling to 20 px does not wash it out.
    /// </summary>
    internal static float[] ThickenThinStrokes(float[] v, ref int w, ref int h)
    {
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
                if (x == 0 || v[(y * w) + x - 1] <= 0.5f) edges++;
                if (x == w - 1 || v[(y * w) + x + 1] <= 0.5f) edges++;
                if (y == 0 || v[((y - 1) * w) + x] <= 0.5f) edges++;
                if (y == h - 1 || v[((y + 1) * w) + x] <= 0.5f) edges++;
            }
        }
        float target = TargetStrokeFraction * Math.Max(w, h);
        float width = edges == 0 ? 0 : 2f * area / edges;
        int radius = (int)MathF.Round((target - width) / 2f);
        if (width >= 0.7f * target || radius < 1)
        {
            return v;
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
        w = pw;
        h = ph;
        return padded;
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

    /// <summary>Scales so the longer side is 20 px, keeping the aspect ratio, with ImageSharp's antialiased resampler.</summary>
    internal static float[] ScaleToBox(float[] v, int w, int h, out int sw, out int sh)
    {
        float factor = (float)Box / Math.Max(w, h);
        sw = Math.Clamp((int)MathF.Round(w * factor), 1, Box);
        sh = Math.Clamp((int)MathF.Round(h * factor), 1, Box);
        var source = new L16[w * h];
        for (int i = 0; i < source.Length; i++)
        {
            source[i] = new L16((ushort)(v[i] * 65535f));
        }
        using var image = Image.LoadPixelData<L16>(SingleThreaded, source, w, h);
        var target = new Size(sw, sh);
        image.Mutate(c => c.Resize(new ResizeOptions { Size = target, Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Bicubic }));
        var resized = new L16[sw * sh];
        image.CopyPixelDataTo(resized);
        var scaled = new float[sw * sh];
        float max = 0;
        for (int i = 0; i < scaled.Length; i++)
        {
            float p = resized[i].PackedValue / 65535f;
            scaled[i] = p;
            max = Math.Max(max, p);
        }
        if (max > 0)
        {
            for (int i = 0; i < scaled.Length; i++)
            {
                scaled[i] /= max;
            }
        }
        return scaled;
    }

    /// <summary>Pastes the box into 28 x 28 so that its centre of mass lands on the centre (kept inside the frame).</summary>
    internal static float[] CentreByMass(float[] v, int w, int h)
    {
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                float p = v[(y * w) + x];
                mass += p;
                mx += p * (x + 0.5);
                my += p * (y + 0.5);
            }
        }
        int ox = (int)Math.Round((Size / 2.0) - (mass > 0 ? mx / mass : w / 2.0));
        int oy = (int)Math.Round((Size / 2.0) - (mass > 0 ? my / mass : h / 2.0));
        ox = Math.Clamp(ox, 0, Size - w);
        oy = Math.Clamp(oy, 0, Size - h);
        var result = new float[Size * Size];
        for (int y = 0; y < h; y++)
        {
            Array.Copy(v, y * w, result, ((y + oy) * Size) + ox, w);
        }
        return result;
    }

    private static DigitImageException NoDigit(string source, string why) =>
        new(DigitImageError.NoDigit, $"{source}: no digit found ({why}); the image looks blank or uniform. Draw or photograph one digit with clear contrast.");
}
