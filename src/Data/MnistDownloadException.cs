namespace MnistCnn.Core.Data;

/// <summary>Every mirror failed for a file; <see cref="Failures"/> lists each mirror's failure.</summary>
public sealed class MnistDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public MnistDownloadException(string fileName, IReadOnlyList<string> failures)
        : base($"Could not download {fileName} from any mirror:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", failures)
            + $"{Environment.NewLine}Check the network, or copy the four MNIST idx files (raw or .gz) into the data directory yourself.")
    {
        FileName = fileName;
        Failures = failures;
    }

    /// <summary>The file that could not be fetched.</summary>
    public string FileName { get; }

    /// <summary>One line per mirror: its address and what went wrong.</summary>
    public IReadOnlyList<string> Failures { get; }
}
