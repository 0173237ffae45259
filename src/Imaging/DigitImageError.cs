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
