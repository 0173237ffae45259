using MnistCnn.Core.Imaging;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Reading;

/// <summary>One digit of a <see cref="NumberReading"/>: what was read, how sure, where, and the 28 x 28 image the model saw.</summary>
public sealed class ReadDigit
{
    internal ReadDigit(int digit, float confidence, Rectangle bounds, PreprocessedDigit input)
    {
        Digit = digit;
        Confidence = confidence;
        Bounds = bounds;
        Input = input;
    }

    /// <summary>The digit, 0 to 9.</summary>
    public int Digit { get; }

    /// <summary>The model's probability of <see cref="Digit"/> for this piece of the image, in [0, 1].</summary>
    public float Confidence { get; }

    /// <summary>Where the digit's ink is, in pixels of the input image.</summary>
    public Rectangle Bounds { get; }

    /// <summary>The 28 x 28 image the model saw for this digit.</summary>
    public PreprocessedDigit Input { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Digit} ({Confidence:P1}) at {Bounds}";
}
