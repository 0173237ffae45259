using MnistCnn.Core.Data;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class StagedFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_committed_file_replaces_the_destination_and_leaves_no_temporary_file()
    {
        string path = _dir.File("model.bin");
        File.WriteAllText(path, "old");

        StagedFile.Write(path, stream => stream.Write("new"u8));

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void An_uncommitted_file_is_deleted_and_the_destination_keeps_its_old_content()
    {
        string path = _dir.File("model.bin");
        File.WriteAllText(path, "old");

        Assert.Throws<InvalidOperationException>(() => StagedFile.Write(path, stream =>
        {
            stream.Write("half"u8);
            Assert.Equal(2, Directory.GetFiles(_dir.Path).Length); // the hidden .partial beside the target
            throw new InvalidOperationException("the writer failed");
        }));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }
}
