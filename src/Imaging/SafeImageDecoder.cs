using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistCnn.Core.Imaging;

/// <summary>
/// Decodes untrusted uploads with ImageSharp 2.1 behind guards for its known weaknesses: only PNG, JPEG, BMP and GIF
/// (first frame) are accepted; metadata and ICC profiles are ignored; the header is identified and the pixel count
/// checked before decoding; a BMP's pixel-data offset must lie inside the file; and the allocator has a hard limit.
/// </summary>
internal sealed class SafeImageDecoder
{
    private readonly ImageDecodingOptions _options;
    private readonly Configuration _configuration;

    public SafeImageDecoder(ImageDecodingOptions options)
    {
        options.Validate();
        _options = options;
        _configuration = new Configuration(new PngConfigurationModule(), new JpegConfigurationModule(), new BmpConfigurationModule(), new GifConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                AllocationLimitMegabytes = (int)Math.Clamp(options.MaxPixels * 16 / (1 << 20) + 64, 64, 4096),
            }),
            PreferContiguousImageBuffers = true,
            MaxDegreeOfParallelism = 1, // images are small, and a server decodes many at once
        };
        _configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        _configuration.ImageFormatsManager.SetDecoder(JpegFormat.Instance, new JpegDecoder { IgnoreMetadata = true });
        _configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First, MaxFrames = 1 });
    }

    /// <summary>Reads at most MaxEncodedBytes + 1 bytes of <paramref name="stream"/>.</summary>
    public byte[] ReadBounded(Stream stream, string source)
    {
        using var buffer = StartBoundedRead(stream, source);
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            AppendBounded(buffer, chunk.AsSpan(0, n), source);
        }
        return buffer.ToArray();
    }

    /// <inheritdoc cref="ReadBounded"/>
    public async Task<byte[]> ReadBoundedAsync(Stream stream, string source, CancellationToken cancellationToken)
    {
        using var buffer = StartBoundedRead(stream, source);
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            AppendBounded(buffer, chunk.AsSpan(0, n), source);
        }
        return buffer.ToArray();
    }

    private MemoryStream StartBoundedRead(Stream stream, string source)
    {
        if (stream.CanSeek && stream.Length - stream.Position > _options.MaxEncodedBytes)
        {
            throw TooLarge(source, $"it is {stream.Length - stream.Position} bytes, over the {_options.MaxEncodedBytes}-byte limit");
        }
        return new MemoryStream();
    }

    private void AppendBounded(MemoryStream buffer, ReadOnlySpan<byte> chunk, string source)
    {
        buffer.Write(chunk);
        if (buffer.Length > _options.MaxEncodedBytes)
        {
            throw TooLarge(source, $"it is over the {_options.MaxEncodedBytes}-byte limit");
        }
    }

    public Image<Rgba32> Decode(byte[] encoded, string source)
    {
        if (encoded.Length == 0)
        {
            throw new DigitImageException(DigitImageError.Undecodable, $"{source}: the image is empty (0 bytes).");
        }
        if (encoded.Length > _options.MaxEncodedBytes)
        {
            throw TooLarge(source, $"it is {encoded.Length} bytes, over the {_options.MaxEncodedBytes}-byte limit");
        }

        IImageFormat format = Image.DetectFormat(_configuration, encoded)
            ?? throw new DigitImageException(DigitImageError.Undecodable, $"{source}: not a PNG, JPEG, BMP or GIF image (the first bytes match no accepted format).");
        if (format is BmpFormat)
        {
            CheckBmpHeader(encoded, source);
        }
        if (format is JpegFormat)
        {
            CheckJpegComplete(encoded, source);
        }

        byte[] bytes = encoded;
        try
        {
            var info = Image.Identify(_configuration, bytes, out _)
                ?? throw new DigitImageException(DigitImageError.Undecodable, $"{source}: the {format.Name} header could not be read.");
            if (info.Width <= 0 || info.Height <= 0)
            {
                throw new DigitImageException(DigitImageError.Undecodable, $"{source}: the {format.Name} header declares {info.Width} x {info.Height} pixels.");
            }
            if (info.Width > _options.MaxSide || info.Height > _options.MaxSide || (long)info.Width * info.Height > _options.MaxPixels)
            {
                throw TooLarge(source, $"it declares {info.Width} x {info.Height} pixels, over the limit of {_options.MaxPixels} pixels and {_options.MaxSide} per side");
            }
            return Image.Load<Rgba32>(_configuration, bytes);
        }
        catch (DigitImageException)
        {
            throw;
        }
        catch (InvalidMemoryOperationException ex)
        {
            throw TooLarge(source, "decoding it would need more memory than allowed", ex);
        }
        catch (OutOfMemoryException ex)
        {
            throw TooLarge(source, "decoding it would need more memory than allowed", ex);
        }
        catch (Exception ex) when (ex is ImageFormatException or UnknownImageFormatException or InvalidImageContentException or NotSupportedException
            or InvalidDataException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException or EndOfStreamException)
        {
            throw new DigitImageException(DigitImageError.Undecodable, $"{source}: the {format.Name} image is damaged or unsupported ({ex.Message})", ex);
        }
    }

    /// <summary>ImageSharp 2.1 seeks to a BMP's pixel-data offset without checking it: a huge one ends in OutOfMemoryException.</summary>
    private static void CheckBmpHeader(ReadOnlySpan<byte> bmp, string source)
    {
        if (bmp.Length < 14 + 4)
        {
            throw new DigitImageException(DigitImageError.Undecodable, $"{source}: the BMP is shorter than its headers.");
        }
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);
        if (offset < 14 || offset >= (uint)bmp.Length)
        {
            throw new DigitImageException(DigitImageError.Undecodable, $"{source}: the BMP's pixel-data offset {offset} lies outside the {bmp.Length}-byte file.");
        }
    }

    /// <summary>
    /// ImageSharp 2.1 decodes a truncated JPEG without complaint, filling the missing part with grey. Scan data cannot
    /// contain FF D9 (an FF there is stuffed as FF 00), so a complete file has its end-of-image marker after the last scan.
    /// </summary>
    private static void CheckJpegComplete(ReadOnlySpan<byte> jpeg, string source)
    {
        int lastScan = jpeg.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        int end = jpeg.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]);
        if (lastScan < 0 || end < lastScan)
        {
            throw new DigitImageException(DigitImageError.Undecodable, $"{source}: the JPEG is truncated (no end-of-image marker after its image data).");
        }
    }

    private static DigitImageException TooLarge(string source, string why, Exception? inner = null) =>
        new(DigitImageError.TooLarge, $"{source}: the image is too large: {why}. Send a smaller image or raise ImageDecodingOptions limits.", inner);
}
