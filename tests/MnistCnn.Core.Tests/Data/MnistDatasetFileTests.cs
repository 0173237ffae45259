using MnistCnn.Core.Data;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
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
    public void Image_and_label_counts_that_differ_are_refused()
    {
        var (_, labels) = Write(Idx.Images(5), Idx.Labels(4));
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Train));
        Assert.StartsWith(labels, ex.Message);
        Assert.Contains("holds 4 labels but", ex.Message);
    }

    [Fact]
    public void Labels_outside_0_to_9_are_refused()
    {
        byte[] labels = Idx.Labels(5);
        labels[^2] = 10;
        var (_, path) = Write(Idx.Images(5), labels);
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Train));
        Assert.Contains(path, ex.Message);
        Assert.Contains("label 3 is 10", ex.Message);
    }

    [Fact]
    public void A_labels_file_in_place_of_images_is_refused_naming_it()
    {
        var (images, _) = Write(Idx.Labels(5), Idx.Labels(5));
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Train));
        Assert.StartsWith(images, ex.Message);
        Assert.Contains("Is this a labels file?", ex.Message);
    }

    [Fact]
    public void A_missing_split_is_refused_saying_how_to_get_it()
    {
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir.Path, MnistSplit.Test));
        Assert.Contains("t10k-images-idx3-ubyte", ex.Message);
        Assert.Contains("DownloadAsync", ex.Message);
    }
}
