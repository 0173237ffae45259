using MnistCnn.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class HostileImageTests
{
    private static readonly DigitImagePreprocessor Preprocessor = new();

    private static DigitImageException Refused(byte[] bytes, DigitImageError expected)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<DigitImageException>(() => Preprocessor.Process(bytes, "upload"));
        Assert.Equal(expected, ex.Error);
        Assert.StartsWith("upload", ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        return ex;
    }

    private static byte[] Png(int w, int h)
    {
        using var image = new Image<L8>(w, h);
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    /// <summary>Rewrites the IHDR size of a PNG and fixes its CRC, so only the declared size lies.</summary>
    private static byte[] PngDeclaring(int w, int h)
    {
        byte[] png = Png(8, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), w);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), h);
        uint crc = Crc32(png.AsSpan(12, 17));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), crc);
        return png;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }
        return ~crc;
    }

    [Fact]
    public void A_png_declaring_50000_by_50000_pixels_is_refused_as_too_large() => Assert.Contains("50000 x 50000", Refused(PngDeclaring(50_000, 50_000), DigitImageError.TooLarge).Message);

    [Fact]
    public void A_bmp_whose_pixel_data_offset_is_0x7FFFFFFF_is_refused()
    {
        using var image = new Image<Rgba32>(16, 16);
        using var ms = new MemoryStream();
        image.SaveAsBmp(ms);
        byte[] bmp = ms.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(10), 0x7FFFFFFF);
        Assert.Contains("offset", Refused(bmp, DigitImageError.Undecodable).Message);
    }

    [Fact]
    public void A_truncated_jpeg_is_refused()
    {
        var sample = RealWorldDigits.Generate(1).First(s => s.Extension == ".jpg");
        Refused(sample.Encoded[..(sample.Encoded.Length / 3)], DigitImageError.Undecodable);
    }

    [Fact]
    public void A_zero_byte_file_is_refused_as_empty() => Assert.Contains("empty", Refused([], DigitImageError.Undecodable).Message);

    [Fact]
    public void Text_named_png_is_refused_as_not_an_image() => Assert.Contains("not a PNG, JPEG, BMP or GIF", Refused("hello, this is not an image"u8.ToArray(), DigitImageError.Undecodable).Message);

    [Fact]
    public void Unaccepted_format_is_refused()
    {
        using var image = new Image<Rgba32>(8, 8);
        using var ms = new MemoryStream();
        image.SaveAsTga(ms);
        Refused(ms.ToArray(), DigitImageError.Undecodable);
    }

    [Fact]
    public void Gif_with_thousands_of_frames_decodes_only_the_first()
    {
        using var gif = new Image<Rgba32>(32, 32, new Rgba32(255, 255, 255));
        for (int y = 8; y < 24; y++)
        {
            gif[16, y] = new Rgba32(0, 0, 0);
            gif[15, y] = new Rgba32(0, 0, 0);
        }
        for (int i = 0; i < 3000; i++)
        {
            gif.Frames.AddFrame(gif.Frames.RootFrame);
        }
        using var ms = new MemoryStream();
        gif.SaveAsGif(ms);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var digit = Preprocessor.Process(ms.ToArray(), "many.gif");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(1f, digit.Pixels.ToArray().Max(), 3);
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    private static void AssertBounded(byte[] encoded, string name)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var digit = Preprocessor.Process(encoded, name);
        Assert.Equal(784, digit.Pixels.Length);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8L << 20, $"{name}: allocated {allocated} bytes to decode {encoded.Length}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{name}: took {watch.Elapsed}");
    }

    [Fact]
    public void Png_with_a_zlib_bomb_icc_profile_is_decoded_without_inflating_it()
    {
        // An iCCP chunk whose zlib stream inflates to 256 MB, inserted after IHDR of a real digit PNG.
        byte[] png = RealWorldDigits.Generate(1).First(s => s.Extension == ".png" && s.Digit == 4).Encoded;
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++)
            {
                z.Write(zeros);
            }
        }
        byte[] iccp = Chunk("iCCP", [.. "bomb"u8, 0, 0, .. compressed.ToArray()]);
        byte[] bomb = [.. png[..33], .. iccp, .. png[33..]];
        AssertBounded(bomb, "icc-bomb.png");
    }

    [Fact]
    public void Jpeg_with_a_16_MB_icc_profile_is_decoded_without_reading_it()
    {
        byte[] jpeg = RealWorldDigits.Generate(1).First(s => s.Extension == ".jpg").Encoded;
        using var ms = new MemoryStream();
        ms.Write(jpeg, 0, 2); // SOI
        var payload = new byte[65000];
        for (int i = 0; i < 250; i++)
        {
            int length = 2 + 14 + payload.Length;
            ms.Write([0xFF, 0xE2, (byte)(length >> 8), (byte)length]);
            ms.Write("ICC_PROFILE\0"u8);
            ms.Write([(byte)(i + 1), 250]);
            ms.Write(payload);
        }
        ms.Write(jpeg, 2, jpeg.Length - 2);
        AssertBounded(ms.ToArray(), "icc.jpg");
    }

    [Fact]
    public void Oversized_stream_is_refused_without_reading_it_all()
    {
        var small = new DigitImagePreprocessor(new ImageDecodingOptions { MaxEncodedBytes = 1000 });
        var ex = Assert.Throws<DigitImageException>(() => small.Process(new MemoryStream(new byte[5000]), "big"));
        Assert.Equal(DigitImageError.TooLarge, ex.Error);
    }

    [Fact]
    public void The_process_stays_healthy_after_hostile_images()
    {
        foreach (var bad in new[] { PngDeclaring(50_000, 50_000), Array.Empty<byte>(), "x"u8.ToArray() })
        {
            Assert.Throws<DigitImageException>(() => Preprocessor.Process(bad));
        }
        var good = RealWorldDigits.Generate(1).First(s => s.Digit == 1);
        Assert.Equal(784, Preprocessor.Process(good.Encoded).Pixels.Length);
    }
}
