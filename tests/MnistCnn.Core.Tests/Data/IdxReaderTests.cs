using MnistCnn.Core.Data;
using Xunit;

namespace MnistCnn.Core.Tests;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static InvalidDataException AssertInvalid(string path, string expectedFragment, Action action)
    {
        var ex = Assert.Throws<InvalidDataException>(action);
        Assert.StartsWith(path, ex.Message);
        Assert.Contains(expectedFragment, ex.Message);
        Assert.Equal(path, ex.Data["FilePath"]);
        return ex;
    }

    [Fact]
    public void Reads_raw_and_gzip_alike()
    {
        byte[] raw = Idx.Images(3);
        var a = IdxReader.Read(Write("a", raw));
        var b = IdxReader.Read(Write("b.whatever", Idx.Gzip(raw)));
        Assert.Equal([3, 28, 28], a.Dimensions);
        Assert.Equal(a.Data, b.Data);
        Assert.Equal(raw[16..], a.Data);
    }

    [Theory]
    [InlineData(0x09, 1)]
    [InlineData(0x0B, 2)]
    [InlineData(0x0C, 4)]
    [InlineData(0x0D, 4)]
    [InlineData(0x0E, 8)]
    public void Reads_every_idx_element_type(byte type, int size)
    {
        var array = IdxReader.Read(Write("t", Idx.Build(type, [2, 3], new byte[6 * size])));
        Assert.Equal((IdxElementType)type, array.ElementType);
        Assert.Equal(6 * size, array.Data.Length);
    }

    [Fact]
    public void Empty_file() => AssertInvalid(Write("empty", []), "shorter than the 4-byte", () => IdxReader.Read(_dir.File("empty")));

    [Fact]
    public void Wrong_magic()
    {
        byte[] bytes = Idx.Images(1);
        bytes[0] = 0x89;
        string path = Write("m", bytes);
        AssertInvalid(path, "not an IDX file", () => IdxReader.Read(path));
    }

    [Fact]
    public void Unknown_type_code()
    {
        string path = Write("t", Idx.Build(0x07, [1], [0]));
        AssertInvalid(path, "unknown IDX element type code 0x07", () => IdxReader.Read(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(255)]
    public void Rank_out_of_range(byte rank)
    {
        string path = Write("r", [0, 0, 8, rank, 0, 0, 0, 1]);
        AssertInvalid(path, $"rank is {rank}", () => IdxReader.Read(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Non_positive_dimension(int dim)
    {
        string path = Write("d", Idx.Build(8, [2, dim], []));
        AssertInvalid(path, "must be positive", () => IdxReader.Read(path));
    }

    [Fact]
    public void Huge_declared_size_is_refused_before_allocating()
    {
        string path = Write("h", Idx.Build(8, [60000, 28000, 28000], new byte[10]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertInvalid(path, "header is corrupt", () => IdxReader.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void Huge_declared_size_in_gzip_allocates_only_what_arrives()
    {
        // 1000 images declared (784 kB), 1 real one sent: the reader must fail without reserving 784 kB... beyond a small chunk.
        byte[] header = Idx.Build(8, [200, 1000, 1000], new byte[784]);
        string path = Write("h.gz", Idx.Gzip(header));
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertInvalid(path, "truncated", () => IdxReader.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4_000_000);
    }

    [Fact]
    public void Truncated_header()
    {
        string path = Write("th", Idx.Images(2)[..10]);
        AssertInvalid(path, "ends inside its header", () => IdxReader.Read(path));
    }

    [Fact]
    public void Truncated_data_raw()
    {
        string path = Write("td", Idx.Images(2)[..100]);
        AssertInvalid(path, "truncated", () => IdxReader.Read(path));
    }

    [Fact]
    public void Trailing_bytes_raw()
    {
        string path = Write("tb", [.. Idx.Images(2), 1, 2, 3]);
        AssertInvalid(path, "trailing bytes", () => IdxReader.Read(path));
    }

    [Fact]
    public void Truncated_data_gzip()
    {
        string path = Write("tg", Idx.Gzip(Idx.Images(2)[..100]));
        AssertInvalid(path, "truncated", () => IdxReader.Read(path));
    }

    [Fact]
    public void Gzip_cut_mid_stream()
    {
        byte[] gz = Idx.Gzip(Idx.Images(50));
        string path = Write("cut.gz", gz[..(gz.Length / 2)]);
        AssertInvalid(path, "", () => IdxReader.Read(path));
    }

    [Fact]
    public void Gzip_with_bad_crc()
    {
        byte[] gz = Idx.Gzip(Idx.Images(2));
        gz[^6] ^= 0xFF; // inside the CRC32 trailer
        string path = Write("crc.gz", gz);
        AssertInvalid(path, "gzip stream is corrupt", () => IdxReader.Read(path));
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        string path = _dir.File("nope");
        AssertInvalid(path, "not found", () => IdxReader.Read(path));
    }
}

public sealed class MnistDatasetFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (string Images, string Labels) Write(byte[] images, byte[] labels)
    {
        File.WriteAllBytes(_dir.File("train-images-idx3-ubyte"), images);
        File.WriteAllBytes(_dir.File("train-labels-idx1-ubyte.gz"), Idx.Gzip(labels));
        return (_dir.File("train-images-idx3-ubyte"), _dir.File("train-labels-idx1-ubyte.gz"));
    }

    [Fact]
    public void Loads_a_split_from_standard_names_raw_or_gz()
    {
        Write(Idx.Images(5), Idx.Labels(5));
        using var set = MnistDataset.Load(_dir.Path, MnistSplit.Train);
        Assert.Equal(5, set.Count);
        Assert.Equal(Idx.Images(5)[16..(16 + 784)], set.GetPixels(0));
        Assert.Equal(Idx.Labels(5)[8], set.GetLabel(0));
        using var sub = set.Subset(1, 3);
        Assert.Equal(3, sub.Count);
        Assert.Equal(set.GetPixels(1), sub.GetPixels(0));
    }

    [Fact]
    public void Counts_must_agree()
    {
        var (_, labels) = Write(Idx.Images(5), Idx.Labels(4));
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Train));
        Assert.StartsWith(labels, ex.Message);
        Assert.Contains("holds 4 labels but", ex.Message);
    }

    [Fact]
    public void Labels_must_be_digits()
    {
        byte[] labels = Idx.Labels(5);
        labels[^2] = 10;
        var (_, path) = Write(Idx.Images(5), labels);
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Train));
        Assert.Contains(path, ex.Message);
        Assert.Contains("label 3 is 10", ex.Message);
    }

    [Fact]
    public void Swapped_files_are_named()
    {
        var (images, _) = Write(Idx.Labels(5), Idx.Labels(5));
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Train));
        Assert.StartsWith(images, ex.Message);
        Assert.Contains("Is this a labels file?", ex.Message);
    }

    [Fact]
    public void Missing_split_says_how_to_get_it()
    {
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Test));
        Assert.Contains("t10k-images-idx3-ubyte", ex.Message);
        Assert.Contains("DownloadAsync", ex.Message);
    }
}
