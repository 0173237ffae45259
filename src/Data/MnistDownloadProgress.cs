namespace MnistCnn.Core.Data;

/// <summary>Progress of one file of a download.</summary>
/// <param name="FileName">The file being fetched, such as <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Mirror">The mirror it comes from.</param>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="TotalBytes">The file's expected size.</param>
public readonly record struct MnistDownloadProgress(string FileName, Uri Mirror, long BytesReceived, long TotalBytes);
