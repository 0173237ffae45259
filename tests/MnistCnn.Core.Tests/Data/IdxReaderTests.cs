using MnistCnn.Core.Data;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
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
    public void An_empty_file_is_refused_as_too_short() => AssertInvalid(Write("empty", []), "shorter than the 4-byte", () => IdxReader.Read(_dir.File("empty")));

    [Fact]
    public void A_wrong_magic_number_is_refused()
    {
        byte[] bytes = Idx.Images(1);
        bytes[0] = 0x89;
        string path = Write("m", bytes);
        AssertInvalid(path, "not an IDX file", () => IdxReader.Read(path));
    }

    [Fact]
    public void An_unknown_type_code_is_refused()
    {
        string path = Write("t", Idx.Build(0x07, [1], [0]));
        AssertInvalid(path, "unknown IDX element type code 0x07", () => IdxReader.Read(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(255)]
    public void A_rank_out_of_range_is_refused(byte rank)
    {
        string path = Write("r", [0, 0, 8, rank, 0, 0, 0, 1]);
        AssertInvalid(path, $"rank is {rank}", () => IdxReader.Read(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_non_positive_dimension_is_refused(int dim)
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
    public void A_truncated_header_is_refused()
    {
        string path = Write("th", Idx.Images(2)[..10]);
        AssertInvalid(path, "ends inside its header", () => IdxReader.Read(path));
    }

    [Fact]
    public void Truncated_raw_data_is_refused()
    {
        string path = Write("td", Idx.Images(2)[..100]);
        AssertInvalid(path, "truncated", () => IdxReader.Read(path));
    }

    [Fact]
    public void Trailing_bytes_after_raw_data_are_refused()
    {
        string path = Write("tb", [.. Idx.Images(2), 1, 2, 3]);
        AssertInvalid(path, "trailing bytes", () => IdxReader.Read(path));
    }

    [Fact]
    public void Truncated_gzip_data_is_refused()
    {
        string path = Write("tg", Idx.Gzip(Idx.Images(2)[..100]));
        AssertInvalid(path, "truncated", () => IdxReader.Read(path));
    }

    [Fact]
    public void A_gzip_stream_cut_mid_way_is_refused()
    {
        byte[] gz = Idx.Gzip(Idx.Images(50));
        string path = Write("cut.gz", gz[..(gz.Length / 2)]);
        AssertInvalid(path, "", () => IdxReader.Read(path));
    }

    [Fact]
    public void A_gzip_stream_with_a_bad_crc_is_refused()
    {
        byte[] gz = Idx.Gzip(Idx.Images(2));
        gz[^6] ^= 0xFF; // inside the CRC32 trailer
        string path = Write("crc.gz", gz);
        AssertInvalid(path, "gzip stream is corrupt", () => IdxReader.Read(path));
    }

    [Fact]
    public void A_missing_file_is_refused_naming_the_file()
    {
        string path = _dir.File("nope");
        AssertInvalid(path, "not found", () => IdxReader.Read(path));
    }
}
