using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Data;

/// <summary>
/// The shape of MNIST, defined once for the whole library: 28 x 28 grayscale images of ten digit classes, and the one
/// scaling from their bytes (0 = background, 255 = ink) to the model's input (float in [0, 1]).
/// </summary>
public static class MnistFormat
{
    /// <summary>Side of the square image, in pixels.</summary>
    public const int ImageSize = 28;

    /// <summary>Pixels in one image (28 x 28).</summary>
    public const int PixelsPerImage = ImageSize * ImageSize;

    /// <summary>Number of classes: the digits 0 to 9.</summary>
    public const int ClassCount = 10;

    private const float MaxPixel = byte.MaxValue;

    /// <summary>Scales a uint8 tensor of pixels to the model's float32 input in [0, 1].</summary>
    internal static Tensor ToModelInput(Tensor pixels)
    {
        using Scalar maxPixel = MaxPixel.ToScalar();
        return pixels.to(ScalarType.Float32).div_(maxPixel);
    }

    /// <summary>Scales pixels to the model's input in [0, 1], element by element.</summary>
    internal static void ToModelInput(ReadOnlySpan<byte> pixels, Span<float> destination)
    {
        for (int i = 0; i < pixels.Length; i++)
        {
            destination[i] = pixels[i] / MaxPixel;
        }
    }
}
