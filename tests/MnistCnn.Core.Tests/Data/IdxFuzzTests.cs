using MnistCnn.Core.Data;
using Xunit;


namespace MnistCnn.Core.Tests;

/// <summary>
/// Thousands of mutations of a small valid pair of idx files, raw and gzip. Every case must either load or throw the
/// library's InvalidDataException naming the file, allocate no more than the file's size warrants, and finish quickly.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class IdxFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly byte[] _images = Idx.Images(4, seed: 3);
    private readonly byte[] _labels = Idx.Labels(4, seed: 3);
    private int _cases, _loaded, _rejected;

    public void Dispose() => _dir.Dispose();

    private void Check(byte[] images, byte[] labels, string what)
    {
        _cases++;
        string imagesPath = _dir.File("images"), labelsPath = _dir.File("labels");
        File.WriteAllBytes(imagesPath, images);
        File.WriteAllBytes(labelsPath, labels);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            using var set = MnistDataset.FromFiles(imagesPath, labelsPath);
            _loaded++;
        }
        catch (InvalidDataException ex)
        {
            _rejected++;
            Assert.True(ex.Message.StartsWith(imagesPath, StringComparison.Ordinal) || ex.Message.StartsWith(labelsPath, StringComparison.Ordinal), $"{what}: message does not name the file: {ex.Message}");
        }
        catch (Exception ex)
        {
            Assert.Fail($"{what}: {ex.GetType().Name}: {ex.Message}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long warranted = (4 * (images.Length + labels.Length)) + (2 << 20);
        Assert.True(allocated < warranted, $"{what}: allocated {allocated} bytes for files of {images.Length + labels.Length}");
    }

    private static IEnumerable<(byte[] Bytes, string What)> Mutations(byte[] valid, int seed)
    {
        for (int cut = 0; cut < valid.Length; cut += Math.Max(1, cut < 64 ? 1 : 97))
        {
            yield return (valid[..cut], $"truncated at {cut}");
        }
        byte[] interesting = [0x00, 0x01, 0x07, 0x08, 0x0D, 0x0F, 0x1C, 0x7F, 0x80, 0xFF];
        for (int offset = 0; offset < Math.Min(16, valid.Length); offset++)
        {
            foreach (byte value in interesting)
            {
                var m = (byte[])valid.Clone();
                m[offset] = value;
                yield return (m, $"byte {offset} = 0x{value:X2}");
            }
        }
        var rnd = new Random(seed);
        for (int i = 0; i < 400; i++)
        {
            var m = (byte[])valid.Clone();
            for (int k = rnd.Next(1, 4); k > 0; k--)
            {
                m[rnd.Next(Math.Min(m.Length, 24))] = (byte)rnd.Next(256);
            }
            yield return (m, $"random header mutation {i}");
        }
        yield return ([.. valid, 0], "one trailing byte");
    }

    [Fact]
    public void Every_mutation_loads_or_throws_the_library_exception_naming_the_file()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (bytes, what) in Mutations(_images, 1))
        {
            Check(bytes, _labels, "images " + what);
            Check(Idx.Gzip(bytes), _labels, "gzip images " + what);
        }
        foreach (var (bytes, what) in Mutations(_labels, 2))
        {
            Check(_images, bytes, "labels " + what);
            Check(_images, Idx.Gzip(bytes), "gzip labels " + what);
        }

        byte[] gz = Idx.Gzip(_images);
        for (int cut = 10; cut < gz.Length; cut += 7)
        {
            Check(gz[..cut], _labels, $"gzip cut at {cut}");
        }
        for (int i = 1; i <= 8; i++)
        {
            var bad = (byte[])gz.Clone();
            bad[^i] ^= 0x5A; // CRC32 and ISIZE trailer
            Check(bad, _labels, $"gzip trailer byte -{i} flipped");
        }
        for (byte label = 10; label < 255; label += 15)
        {
            var bad = (byte[])_labels.Clone();
            bad[^1] = label;
            Check(_images, bad, $"label {label}");
        }
        Check(_images, Idx.Labels(3), "3 labels for 4 images");
        Check(Idx.Images(5), _labels, "5 images for 4 labels");
        Check(Idx.Build(8, [60000, 28, 28], new byte[100]), _labels, "60000 images declared, 100 bytes present");
        Check(Idx.Gzip(Idx.Build(8, [int.MaxValue, 28, 28], new byte[100])), _labels, "2^31 images declared in gzip");

        output.WriteLine($"{_cases} cases: {_loaded} loaded, {_rejected} rejected with InvalidDataException, in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(_cases > 2000);
        Assert.True(_rejected > _cases / 2);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60));
    }
}
