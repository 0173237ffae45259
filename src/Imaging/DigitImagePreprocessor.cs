using System.Buffers;
using SixLabors.ImageSharp;
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
    internal const int Box = 20;
    private const float MinContrast = 0.12f;

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

    /// <summary>The stages, in order (src/Imaging/README.md); the full-size image lives in one pooled buffer until the crop.</summary>
    private static PreprocessedDigit Process(Image<Rgba32> image, string source)
    {
        int w = image.Width, h = image.Height;
        float[] rented = ArrayPool<float>.Shared.Rent(w * h);
        GrayImage crop;
        try
        {
            var gray = rented.AsSpan(0, w * h);
            WriteInk(image, gray, source);
            if (!InkBox.TryFind(gray, w, h, out var box))
            {
                throw NoDigit(source, "no ink was found");
            }
            Frame.TryErase(gray, w, h, ref box, out bool emptyCell);
            if (emptyCell)
            {
                throw EmptyCell(source);
            }
            crop = InkBox.Crop(gray, w, box);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
        return Normalize(crop);
    }

    /// <summary>
    /// The image-level stages: grayscale with transparency composited, polarity, background set to zero and ink
    /// stretched to 1, into <paramref name="gray"/> (width x height values).
    /// </summary>
    /// <exception cref="DigitImageException">The image has too little contrast to hold any ink (<see cref="DigitImageError.NoDigit"/>).</exception>
    internal static void WriteInk(Image<Rgba32> image, Span<float> gray, string source)
    {
        Grayscale.Write(image, gray);
        float background = Levels.Polarize(gray, image.Width, image.Height);
        if (Shading.Flatten(gray, image.Width, image.Height))
        {
            background = Levels.BorderMedian(gray, image.Width, image.Height);
        }
        float ink = Levels.InkLevel(gray, background);
        if (ink - background < MinContrast)
        {
            throw NoDigit(source, $"its contrast is {ink - background:0.00}");
        }
        Levels.SuppressBackground(gray, background + (0.25f * (ink - background)), ink);
    }

    /// <summary>
    /// The per-digit stages: a crop of one digit's ink thickened if thin (only dilated, where
    /// <paramref name="plainDilation"/>), scaled to the 20 px box and centred by mass in 28 x 28.
    /// </summary>
    internal static PreprocessedDigit Normalize(GrayImage crop, bool plainDilation = false) => NormalizeThickened(StrokeWidth.ThickenThin(crop, plainDilation));

    /// <summary><see cref="Normalize"/> of a crop whose thin strokes <see cref="StrokeWidth.ThickenThin"/> has thickened already.</summary>
    internal static PreprocessedDigit NormalizeThickened(GrayImage thick) =>
        new(MassCentring.Centre(BicubicResampler.ScaleToBox(thick, Box)));

    /// <summary>
    /// The whole image after the image-level stages, for a reader of several digits. Its pixels are rented from the
    /// shared pool (a fresh buffer of a large image costs a page fault per 4 KB): return them with <see cref="ReturnInk"/>.
    /// </summary>
    internal static GrayImage InkOf(Image image, string source)
    {
        var rgba = image as Image<Rgba32> ?? image.CloneAs<Rgba32>();
        float[]? gray = null;
        try
        {
            int count = rgba.Width * rgba.Height;
            gray = ArrayPool<float>.Shared.Rent(count);
            WriteInk(rgba, gray.AsSpan(0, count), source);
            var ink = new GrayImage(gray, rgba.Width, rgba.Height);
            gray = null;
            return ink;
        }
        finally
        {
            if (gray is not null)
            {
                ArrayPool<float>.Shared.Return(gray);
            }
            if (!ReferenceEquals(rgba, image))
            {
                rgba.Dispose();
            }
        }
    }

    /// <summary>Gives the pixels of an <see cref="InkOf(Image, string)"/> result back to the pool.</summary>
    internal static void ReturnInk(GrayImage ink) => ArrayPool<float>.Shared.Return(ink.Pixels);

    /// <summary>Decodes under this preprocessor's limits and runs the image-level stages.</summary>
    internal GrayImage InkOf(byte[] encoded, string source)
    {
        using var image = _decoder.Decode(encoded, source);
        return InkOf(image, source);
    }

    /// <summary>Reads a stream up to this preprocessor's size limit.</summary>
    internal byte[] ReadBounded(Stream stream, string source) => _decoder.ReadBounded(stream, source);

    /// <summary>Reads a stream asynchronously up to this preprocessor's size limit.</summary>
    internal Task<byte[]> ReadBoundedAsync(Stream stream, string source, CancellationToken cancellationToken) => _decoder.ReadBoundedAsync(stream, source, cancellationToken);

    /// <summary>The error for a form's cell, or a box, with nothing written in it.</summary>
    internal static DigitImageException EmptyCell(string source) =>
        new(DigitImageError.NoDigit, $"{source}: no digit found (the ink is an empty box, a form's cell with nothing written in it). Crop the image to a cell that holds a digit.");

    private static DigitImageException NoDigit(string source, string why) =>
        new(DigitImageError.NoDigit, $"{source}: no digit found ({why}); the image looks blank or uniform. Write or photograph the digit, or the number, with clear contrast.");
}
