namespace MnistCnn.Core.Imaging;

/// <summary>Why an image could not be turned into a digit for the model.</summary>
public enum DigitImageError
{
    /// <summary>The bytes are not an image in one of the accepted formats, or are damaged.</summary>
    Undecodable,

    /// <summary>The image or its encoded size exceeds the configured limits.</summary>
    TooLarge,

    /// <summary>The image decodes but shows no ink: blank, uniform or too faint.</summary>
    NoDigit,
}

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
