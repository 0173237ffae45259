namespace MnistCnn.Core.Data;

/// <summary>One file of the original MNIST distribution, with the MD5 of the raw file and the MD5 and size of its published .gz.</summary>
internal sealed record MnistFile(string Name, string RawMd5, string GzipMd5, long GzipSize)
{
    /// <summary>The name of the published, gzip-compressed file.</summary>
    public string GzipName => Name + ".gz";

    /// <summary>The expected MD5 of a file called <paramref name="fileName"/>: the .gz's or the raw file's.</summary>
    public string Md5For(string fileName) => fileName.EndsWith(".gz", StringComparison.Ordinal) ? GzipMd5 : RawMd5;
}
