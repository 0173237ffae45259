using MnistCnn.Core.Data;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary><see cref="MnistDataset.Import"/>: the original files are copied in checked; anything else is refused whole.</summary>
[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class MnistDatasetImportTests(MnistFixture mnist) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void WriteSynthetic(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte"), Idx.Images(5));
        File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte"), Idx.Labels(5));
        File.WriteAllBytes(Path.Combine(directory, "t10k-images-idx3-ubyte"), Idx.Images(3));
        File.WriteAllBytes(Path.Combine(directory, "t10k-labels-idx1-ubyte"), Idx.Labels(3));
    }

    [Fact]
    public void The_original_files_are_imported_and_load_as_both_splits()
    {
        string target = _dir.File("imported");
        Assert.False(MnistDataset.IsAvailable(target));

        MnistDataset.Import(mnist.Directory, target);

        Assert.True(MnistDataset.IsAvailable(target));
        Assert.DoesNotContain(Directory.GetFiles(target), f => Path.GetFileName(f).StartsWith('.'));
        using var train = MnistDataset.Load(target, MnistSplit.Train);
        using var test = MnistDataset.Load(target, MnistSplit.Test);
        Assert.Equal(mnist.Train.Count, train.Count);
        Assert.Equal(mnist.Test.GetPixels(123), test.GetPixels(123));
    }

    [Fact]
    public void Files_that_differ_from_the_originals_are_refused_naming_the_file_and_nothing_is_imported()
    {
        string source = _dir.File("synthetic"), target = _dir.File("imported");
        WriteSynthetic(source);

        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Import(source, target));

        Assert.StartsWith(Path.Combine(source, "train-images-idx3-ubyte"), ex.Message);
        Assert.Contains("MD5", ex.Message);
        Assert.Empty(Directory.Exists(target) ? Directory.GetFiles(target) : []);
    }

    [Fact]
    public void A_missing_file_is_refused_naming_it_and_nothing_is_imported()
    {
        string source = _dir.File("three"), target = _dir.File("imported");
        WriteSynthetic(source);
        File.Delete(Path.Combine(source, "t10k-labels-idx1-ubyte"));

        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Import(source, target));

        Assert.StartsWith(Path.Combine(source, "t10k-labels-idx1-ubyte"), ex.Message);
        Assert.Contains("not found", ex.Message);
        Assert.False(Directory.Exists(target) && Directory.GetFiles(target).Length > 0);
    }
}
