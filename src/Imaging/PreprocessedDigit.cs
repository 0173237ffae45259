using MnistCnn.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistCnn.Core.Imaging;

/// <summary>A 28 x 28 image as the model sees it: light ink on black, values in [0, 1], row-major.</summary>
public sealed class PreprocessedDigit
{
    private const int Size = MnistFormat.ImageSize;

    private readonly float[] _pixels;

    internal PreprocessedDigit(float[] pixels)
    {
        _pixels = pixels;
    }

    /// <summary>The 784 values, row-major, 0 = background, 1 = ink.</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>An 8-bit grayscale image of what the model sees (white ink on black, like MNIST).</summary>
    public Image<L8> ToImage()
    {
        var image = new Image<L8>(Size, Size);
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                image[x, y] = new L8((byte)Math.Round(_pixels[(y * Size) + x] * 255f));
            }
        }
        return image;
    }

    /// <summary>Saves <see cref="ToImage"/> as a PNG.</summary>
    public void SaveAsPng(string path)
    {
        using var image = ToImage();
        image.SaveAsPng(path);
    }
}
