namespace MnistCnn.Core.Data;

/// <summary>
/// Builds the <see cref="InvalidDataException"/> the library throws for a malformed file: the message starts with the
/// file, then says the defect and what to do; <c>Data["FilePath"]</c> holds the file.
/// </summary>
internal static class InvalidFile
{
    public const string FilePathKey = "FilePath";

    public static InvalidDataException Create(string path, string defect, Exception? innerException = null)
    {
        var exception = new InvalidDataException($"{path}: {defect}", innerException);
        exception.Data[FilePathKey] = path;
        return exception;
    }
}
