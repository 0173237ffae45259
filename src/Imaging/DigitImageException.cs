namespace MnistCnn.Core.Imaging;

/// <summary>The one exception for images that cannot be used: undecodable, too large, or without a digit.</summary>
public sealed class DigitImageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DigitImageException(DigitImageError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What went wrong.</summary>
    public DigitImageError Error { get; }
}
