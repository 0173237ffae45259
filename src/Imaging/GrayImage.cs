namespace MnistCnn.Core.Imaging;

/// <summary>A grayscale image on its way through the preprocessing stages: row-major values in [0, 1].</summary>
internal readonly record struct GrayImage(float[] Pixels, int Width, int Height)
{
    public float this[int x, int y] => Pixels[(y * Width) + x];
}
