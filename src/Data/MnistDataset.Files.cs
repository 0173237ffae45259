namespace MnistCnn.Core.Data;

/// <summary>Getting the four MNIST files: downloading them, finding them, or importing copies, each checked by MD5.</summary>
public sealed partial class MnistDataset
{
    /// <summary>
    /// Downloads the four MNIST files (.gz) into <paramref name="directory"/> from the mirrors in <paramref name="options"/>,
    /// skipping files already there. Each file is checked against its known size and MD5 before it is accepted.
    /// </summary>
    /// <exception cref="MnistDownloadException">Every mirror failed for a file; the message lists each failure.</exception>
    public static Task DownloadAsync(string directory, MnistDownloadOptions? options = null, IProgress<MnistDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new MnistDownloadOptions();
        options.Validate();
        return MnistDownloader.Standard.DownloadAsync(directory, options, progress, cancellationToken);
    }

    /// <summary>
    /// True when <paramref name="directory"/> holds all four MNIST files under their standard names, raw or <c>.gz</c>
    /// (what <see cref="Load"/> needs for both splits). Only names are checked; <see cref="Import"/> checks content.
    /// </summary>
    public static bool IsAvailable(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return MnistFiles.AllPresent(directory);
    }

    /// <summary>
    /// Copies the four MNIST files (raw or <c>.gz</c>, standard names) from <paramref name="sourceDirectory"/> into
    /// <paramref name="directory"/> after checking each against the original's MD5: for MNIST obtained some other way
    /// (a package, a shared drive). All four are checked before any is put in place, and each arrives whole or not at all.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing or differs from the original; nothing was imported.</exception>
    public static void Import(string sourceDirectory, string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceDirectory);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var sources = MnistFiles.All.Select(file => (File: file, Path: MnistFiles.Locate(sourceDirectory, file)
            ?? throw InvalidFile.Create(Path.Combine(sourceDirectory, file.Name), $"not found (nor {file.GzipName}); all four MNIST files are needed. Nothing was imported."))).ToList();
        var staged = new List<StagedFile>();
        try
        {
            foreach (var (file, source) in sources)
            {
                string name = Path.GetFileName(source);
                var target = StagedFile.Create(Path.Combine(directory, name));
                staged.Add(target);
                using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read))
                {
                    input.CopyTo(target.Stream);
                }
                MnistFiles.CheckMd5(target.Stream, file.Md5For(name), source);
            }
            staged.ForEach(file => file.Commit());
        }
        finally
        {
            staged.ForEach(file => file.Dispose());
        }
    }
}
