namespace MnistCnn.Core.Data;

/// <summary>
/// A file written beside its destination under a hidden temporary name, and renamed over the destination only by
/// <see cref="Commit"/>, after it has been flushed to disk and checked. Disposing an uncommitted file deletes it, so an
/// interrupted or rejected write never leaves anything at the destination that a later run would trust; a process
/// killed mid-write leaves at most a dot-prefixed <c>.partial</c> file.
/// </summary>
internal sealed class StagedFile : IDisposable, IAsyncDisposable
{
    private bool _committed;

    private StagedFile(string destination, bool useAsync)
    {
        Destination = Path.GetFullPath(destination);
        string directory = Path.GetDirectoryName(Destination)!;
        Directory.CreateDirectory(directory);
        TempPath = Path.Combine(directory, $".{Path.GetFileName(Destination)}.{Guid.NewGuid():N}.partial");
        Stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync);
    }

    /// <summary>Where the file goes on <see cref="Commit"/>.</summary>
    public string Destination { get; }

    /// <summary>The hidden file being written.</summary>
    public string TempPath { get; }

    /// <summary>The temporary file's stream, for writing (and reading back, to check).</summary>
    public FileStream Stream { get; }

    /// <summary>Starts a file that will replace <paramref name="destination"/> when committed.</summary>
    public static StagedFile Create(string destination, bool useAsync = false) => new(destination, useAsync);

    /// <summary>Writes <paramref name="destination"/> through <paramref name="write"/> and commits it.</summary>
    public static void Write(string destination, Action<Stream> write)
    {
        using var staged = Create(destination);
        write(staged.Stream);
        staged.Commit();
    }

    /// <summary>Flushes the file to disk and renames it over <see cref="Destination"/>.</summary>
    public void Commit()
    {
        if (_committed)
        {
            throw new InvalidOperationException($"{Destination} was already committed.");
        }
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(TempPath, Destination, overwrite: true);
        _committed = true;
    }

    /// <summary>Closes the file and, unless it was committed, deletes it.</summary>
    public void Dispose()
    {
        Stream.Dispose();
        DeleteUncommitted();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync().ConfigureAwait(false);
        DeleteUncommitted();
    }

    private void DeleteUncommitted()
    {
        if (_committed)
        {
            return;
        }
        try
        {
            File.Delete(TempPath);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
