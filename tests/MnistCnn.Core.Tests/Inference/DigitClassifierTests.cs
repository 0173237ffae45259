using System.Collections.Concurrent;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using Xunit.Abstractions;

namespace MnistCnn.Core.Tests;

[Collection(MnistCollection.Name)]
public sealed class ClassifierTests(MnistFixture mnist, ITestOutputHelper output)
{
    private static readonly Lazy<DigitClassifier> Pretrained = new(() => DigitClassifier.LoadPretrained());

    private static float[] Normalized(byte[] pixels) => pixels.Select(p => p / 255f).ToArray();

    [Fact]
    public void Embedded_model_scores_at_least_99_2_percent_on_the_mnist_test_set()
    {
        var pixels = new float[mnist.Test.Count * 784];
        for (int i = 0; i < mnist.Test.Count; i++)
        {
            Normalized(mnist.Test.GetPixels(i)).CopyTo(pixels, i * 784);
        }
        var predictions = Pretrained.Value.PredictBatch(pixels);
        int correct = predictions.Where((p, i) => p.Digit == mnist.Test.GetLabel(i)).Count();
        double accuracy = (double)correct / mnist.Test.Count;
        output.WriteLine($"embedded model: {accuracy:P2} on the MNIST test set");
        Assert.True(accuracy >= 0.992, $"{accuracy:P2}");
    }

    [Fact]
    public void Real_world_digits_never_seen_in_training_are_recognised_90_percent()
    {
        var samples = RealWorldDigits.Generate(variantsPerStyle: 3).ToList();
        var byStyle = new Dictionary<RealWorldDigits.Style, (int Right, int Total)>();
        string? saveTo = Environment.GetEnvironmentVariable("MNISTCNN_SAVE_REALWORLD");
        foreach (var (s, i) in samples.Select((s, i) => (s, i)))
        {
            var prediction = Pretrained.Value.Predict(s.Encoded);
            var (right, total) = byStyle.GetValueOrDefault(s.Style);
            byStyle[s.Style] = (right + (prediction.Digit == s.Digit ? 1 : 0), total + 1);
            if (saveTo is not null)
            {
                Directory.CreateDirectory(saveTo);
                File.WriteAllBytes(Path.Combine(saveTo, $"{s.Digit}-{s.Style}-{i}{s.Extension}"), s.Encoded);
            }
        }
        foreach (var (style, (right, total)) in byStyle)
        {
            output.WriteLine($"{style}: {right}/{total}");
        }
        double accuracy = (double)byStyle.Values.Sum(v => v.Right) / samples.Count;
        output.WriteLine($"all: {accuracy:P1} of {samples.Count}");
        Assert.True(accuracy >= 0.90, $"{accuracy:P1}");
    }

    [Fact]
    public void Every_overload_agrees()
    {
        var sample = RealWorldDigits.Generate(1).First(s => s.Digit == 3);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("three.png"), sample.Encoded);
        var classifier = Pretrained.Value;
        var fromBytes = classifier.Predict(sample.Encoded);
        using var image = Image.Load<Rgba32>(sample.Encoded);
        using var stream = new MemoryStream(sample.Encoded);
        var all = new[]
        {
            classifier.Predict(image),
            classifier.Predict(stream),
            classifier.Predict(dir.File("three.png")),
            classifier.Predict(classifier.Preprocessor.Process(sample.Encoded)),
            classifier.PredictBatch([image])[0],
        };
        Assert.All(all, p => Assert.Equal(fromBytes.Probabilities, p.Probabilities));
        Assert.Equal(1f, fromBytes.Probabilities.Sum(), 3);
        Assert.InRange(fromBytes.Confidence, 0f, 1f);
    }

    [Fact]
    public void Batch_equals_one_by_one()
    {
        var pixels = Enumerable.Range(0, 50).SelectMany(i => Normalized(mnist.Test.GetPixels(i))).ToArray();
        var batch = Pretrained.Value.PredictBatch(pixels);
        for (int i = 0; i < 50; i++)
        {
            var single = Pretrained.Value.Predict(pixels.AsSpan(i * 784, 784));
            Assert.Equal(single.Digit, batch[i].Digit);
            Assert.Equal(single.Confidence, batch[i].Confidence, 4);
        }
    }

    [Fact]
    public void Many_threads_get_the_sequential_results()
    {
        var inputs = Enumerable.Range(0, 40).Select(i => Normalized(mnist.Test.GetPixels(i))).ToArray();
        var expected = inputs.Select(x => Pretrained.Value.Predict(x).Probabilities.ToArray()).ToArray();
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            for (int k = 0; k < 250; k++)
            {
                int i = (t * 7 + k) % inputs.Length;
                if (!Pretrained.Value.Predict(inputs[i]).Probabilities.SequenceEqual(expected[i]))
                {
                    failures.Add($"thread {t} input {i}");
                }
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void Wrong_pixel_count_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => Pretrained.Value.Predict(new float[100]));
        Assert.Contains("784", ex.Message);
        Assert.Throws<ArgumentException>(() => Pretrained.Value.PredictBatch(new float[785]));
    }
}

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
    public void Png_declaring_50000_by_50000_pixels() => Assert.Contains("50000 x 50000", Refused(PngDeclaring(50_000, 50_000), DigitImageError.TooLarge).Message);

    [Fact]
    public void Bmp_with_pixel_data_offset_0x7FFFFFFF()
    {
        using var image = new Image<Rgba32>(16, 16);
        using var ms = new MemoryStream();
        image.SaveAsBmp(ms);
        byte[] bmp = ms.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(10), 0x7FFFFFFF);
        Assert.Contains("offset", Refused(bmp, DigitImageError.Undecodable).Message);
    }

    [Fact]
    public void Truncated_jpeg()
    {
        var sample = RealWorldDigits.Generate(1).First(s => s.Extension == ".jpg");
        Refused(sample.Encoded[..(sample.Encoded.Length / 3)], DigitImageError.Undecodable);
    }

    [Fact]
    public void Zero_byte_file() => Assert.Contains("empty", Refused([], DigitImageError.Undecodable).Message);

    [Fact]
    public void Text_named_png() => Assert.Contains("not a PNG, JPEG, BMP or GIF", Refused("hello, this is not an image"u8.ToArray(), DigitImageError.Undecodable).Message);

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
