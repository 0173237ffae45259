using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace MnistCnn.Core.Data;

/// <summary>The standard MNIST file names and checksums (as torchvision checks them), and where they are in a directory.</summary>
internal static class MnistFiles
{
    public static readonly MnistFile TrainImages = new("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422);
    public static readonly MnistFile TrainLabels = new("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624", "d53e105ee54ea40749a09fcbcd1e9432", 28881);
    public static readonly MnistFile TestImages = new("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea", "9fb629c4189551a2d022fa330f9573f3", 1648877);
    public static readonly MnistFile TestLabels = new("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637", "ec29112dd5afa0611ce80d1b7f02629c", 4542);

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
        string gz = Path.Combine(directory, file.GzipName);
        return File.Exists(gz) ? gz : null;
    }

    /// <summary>True when all four files are in <paramref name="directory"/>, raw or .gz.</summary>
    public static bool AllPresent(string directory) => All.All(file => Locate(directory, file) is not null);

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file unless the stream, read from its start, has <paramref name="expectedMd5"/>.</summary>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "MNIST is published with MD5 checksums; this detects damaged files, it does not authenticate them.")]
    public static void CheckMd5(Stream stream, string expectedMd5, string path)
    {
        stream.Position = 0;
        string actual = Convert.ToHexStringLower(MD5.HashData(stream));
        if (actual != expectedMd5)
        {
            throw InvalidFile.Create(path, $"MD5 {actual} differs from the original MNIST file's {expectedMd5}; it is damaged or not the original. Nothing was imported.");
        }
    }
}
