namespace MnistCnn.Core.Data;

/// <summary>One file of the original MNIST distribution, with the MD5 and size of its published .gz.</summary>
internal sealed record MnistFile(string Name, string GzipMd5, long GzipSize);

/// <summary>The standard MNIST file names and checksums (as torchvision checks them).</summary>
internal static class MnistFiles
{
    public const int ImageSize = 28;
    public const int ClassCount = 10;

    public static readonly MnistFile TrainImages = new("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422);
    public static readonly MnistFile TrainLabels = new("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432", 28881);
    public static readonly MnistFile TestImages = new("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3", 1648877);
    public static readonly MnistFile TestLabels = new("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c", 4542);

    public static readonly IReadOnlyList<MnistFile> All = [TrainImages, TrainLabels, TestImages, TestLabels];

    public static (MnistFile Images, MnistFile Labels) For(MnistSplit split) => split switch
    {
        MnistSplit.Train => (TrainImages, TrainLabels),
        MnistSplit.Test => (TestImages, TestLabels),
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown MNIST split."),
    };

    /// <summary>The path of <paramref name="file"/> in <paramref name="directory"/>: the raw file if present, else the .gz.</summary>
    public static string? Locate(string directory, MnistFile file)
    {
        string raw = Path.Combine(directory, file.Name);
        if (File.Exists(raw))
        {
            return raw;
        }
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : null;
    }
}
