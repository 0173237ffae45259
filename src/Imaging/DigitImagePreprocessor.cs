using System.Buffers;
using System.Numerics;
using MnistCnn.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

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
    private const int Size = MnistFormat.ImageSize;
    private const float MinContrast = 0.12f;
    private const float TargetStrokeFraction = 0.11f; // MNIST strokes are about 2.2 px of a 20 px box

    private readonly SafeImageDecoder _decoder;

    /// <summary>Creates a preprocessor that decodes with <paramref name="options"/> (default limits when null).</summary>
    public DigitImagePreprocessor(ImageDecodingOptions? options = null)
    {
        Options = options ?? new ImageDecodingOptions();
        _decoder = new SafeImageDecoder(Options);
    }

    /// <summary>The decoding limits.</summary>
    public ImageDecodingOptions Options { get; }

    /// <summary>Raised with the reason whenever this preprocessor refuses an image (the hosting metrics count them).</summary>
    internal event Action<DigitImageError>? Rejected;

    /// <summary>Decodes and preprocesses an encoded image (PNG, JPEG, BMP or GIF).</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no digit.</exception>
    public PreprocessedDigit Process(byte[] encoded) => Process(encoded, "image");

    /// <summary>Decodes and preprocesses an encoded image; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no digit.</exception>
    public PreprocessedDigit Process(byte[] encoded, string source)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return Reported(() => Decode(encoded, source));
    }

    /// <summary>Reads (up to the size limit), decodes and preprocesses an image stream.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    public PreprocessedDigit Process(Stream stream) => Process(stream, "stream");

    /// <summary>Reads (up to the size limit), decodes and preprocesses an image stream; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    public PreprocessedDigit Process(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Reported(() => Decode(_decoder.ReadBounded(stream, source), source));
    }

    /// <summary>Reads (asynchronously, up to the size limit), decodes and preprocesses an image stream.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    public async Task<PreprocessedDigit> ProcessAsync(Stream stream, string source = "stream", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            return Decode(await _decoder.ReadBoundedAsync(stream, source, cancellationToken).ConfigureAwait(false), source);
        }
        catch (DigitImageException ex)
        {
            Rejected?.Invoke(ex.Error);
            throw;
        }
    }

    /// <summary>Reads, decodes and preprocesses an image file.</summary>
    /// <exception cref="DigitImageException">The file is not an accepted image, is too large, or shows no digit.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public PreprocessedDigit ProcessFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Reported(() =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return Decode(_decoder.ReadBounded(stream, path), path);
        });
    }

    /// <summary>Preprocesses an image already in memory, of any pixel format.</summary>
    /// <exception cref="DigitImageException">The image shows no digit.</exception>
    public PreprocessedDigit Process(Image image) => Process(image, "image");

    /// <summary>Preprocesses an image already in memory; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="DigitImageException">The image shows no digit.</exception>
    public PreprocessedDigit Process(Image image, string source)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Reported(() =>
        {
            if (image is Image<Rgba32> rgba)
            {
                return Process(rgba, source);
            }
            using var converted = image.CloneAs<Rgba32>();
            return Process(converted, source);
        });
    }

    private PreprocessedDigit Decode(byte[] encoded, string source)
    {
        using var image = _decoder.Decode(encoded, source);
        return Process(image, source);
    }

    private PreprocessedDigit Reported(Func<PreprocessedDigit> process)
    {
        try
        {
            return process();
        }
        catch (DigitImageException ex)
        {
            Rejected?.Invoke(ex.Error);
            throw;
        }
    }

    private static PreprocessedDigit Process(Image<Rgba32> image, string source)
    {
        int w = image.Width, h = image.Height;
        float[] rented = ArrayPool<float>.Shared.Rent(w * h);
        float[] crop;
        int cw, ch;
        try
        {
            var gray = rented.AsSpan(0, w * h);
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
            crop = Crop(gray, w, box, out cw, out ch);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
        crop = ThickenThinStrokes(crop, ref cw, ref ch);
        return new PreprocessedDigit(CentreByMass(ScaleToBox(crop, cw, ch, out int sw, out int sh), sw, sh));
    }

    internal static void ToGrayscale(Image<Rgba32> image, Span<float> gray)
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

    /// <summary>Makes the ink light and the background dark; returns the background level (median of the border).</summary>
    internal static float Polarize(Span<float> gray, int w, int h)
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
        float median = Quantile(bins, count, 0.5f);
        if (median > 0.5f)
        {
            Affine(gray, -1f, 1f);
            median = 1f - median;
        }
        return median;
    }

    private static int Histogram(ReadOnlySpan<float> values, Span<int> bins)
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
    internal static float InkLevel(ReadOnlySpan<float> values, float background)
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

    internal static void SuppressBackground(Span<float> gray, float floor, float ink)
    {
        float scale = 1f / Math.Max(ink - floor, 1e-6f);
        Affine(gray, scale, -floor * scale);
    }

    /// <summary>The bounding box of the rows and columns that carry a meaningful share of the ink (specks are ignored).</summary>
    internal static bool TryFindInkBox(ReadOnlySpan<float> v, int w, int h, out Rectangle box)
    {
        var rows = new float[h];
        var cols = new float[w];
        for (int y = 0; y < h; y++)
        {
            var row = v.Slice(y * w, w);
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

    private static float[] Crop(ReadOnlySpan<float> v, int w, Rectangle box, out int cw, out int ch)
    {
        cw = box.Width;
        ch = box.Height;
        var crop = new float[cw * ch];
        for (int y = 0; y < ch; y++)
        {
            v.Slice(((box.Y + y) * w) + box.X, cw).CopyTo(crop.AsSpan(y * cw, cw));
        }
        return crop;
    }

    private static int IsEdge(bool boundary) => boundary ? 1 : 0;

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

    /// <summary>
    /// Scales so the longer side is 20 px, keeping the aspect ratio, with an antialiased separable bicubic (Catmull-Rom)
    /// resampler whose kernel widens with the reduction, as in ImageSharp's Resize; then stretches the peak to 1.
    /// </summary>
    internal static float[] ScaleToBox(float[] v, int w, int h, out int sw, out int sh)
    {
        float factor = (float)Box / Math.Max(w, h);
        sw = Math.Clamp((int)MathF.Round(w * factor), 1, Box);
        sh = Math.Clamp((int)MathF.Round(h * factor), 1, Box);
        var columns = Resample(v, w, h, sw, alongRows: true);
        var scaled = Resample(columns, sw, h, sh, alongRows: false);
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
        return scaled;
    }

    /// <summary>Resamples a <paramref name="w"/> x <paramref name="h"/> image to <paramref name="size"/> along rows (new width) or columns (new height).</summary>
    private static float[] Resample(float[] source, int w, int h, int size, bool alongRows)
    {
        int length = alongRows ? w : h, lines = alongRows ? h : w;
        int stepAlong = alongRows ? 1 : w, stepAcross = alongRows ? w : 1;
        int outAlong = alongRows ? 1 : w, outAcross = alongRows ? size : 1;
        var target = new float[alongRows ? size * h : w * size];
        float ratio = (float)length / size;
        float spread = Math.Max(1f, ratio); // the kernel covers more source pixels when shrinking: antialiasing
        float radius = 2f * spread;
        int maxTaps = (int)MathF.Ceiling(radius * 2) + 2;
        Span<float> weights = maxTaps <= 512 ? stackalloc float[maxTaps] : new float[maxTaps];
        for (int i = 0; i < size; i++)
        {
            float centre = ((i + 0.5f) * ratio) - 0.5f;
            int first = Math.Max(0, (int)MathF.Ceiling(centre - radius));
            int last = Math.Min(length - 1, (int)MathF.Floor(centre + radius));
            int taps = last - first + 1;
            float total = 0;
            for (int k = 0; k < taps; k++)
            {
                weights[k] = CatmullRom((first + k - centre) / spread);
                total += weights[k];
            }
            for (int line = 0; line < lines; line++)
            {
                int origin = (line * stepAcross) + (first * stepAlong);
                float sum = 0;
                for (int k = 0; k < taps; k++)
                {
                    sum += weights[k] * source[origin + (k * stepAlong)];
                }
                target[(line * outAcross) + (i * outAlong)] = sum / total;
            }
        }
        return target;
    }

    /// <summary>The bicubic kernel with B = 0, C = 0.5 (Catmull-Rom), support [-2, 2].</summary>
    private static float CatmullRom(float x)
    {
        x = Math.Abs(x);
        return x < 1 ? ((1.5f * x) - 2.5f) * x * x + 1
            : x < 2 ? (((-0.5f * x) + 2.5f) * x - 4) * x + 2
            : 0;
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
