using MnistCnn.Core.Data;

namespace MnistCnn.Core.Tests;

/// <summary>A small learnable stand-in for MNIST: digit d is a bright 6 x 6 block at a place of its own, plus noise.</summary>
internal static class SyntheticDigits
{
    public static MnistDataset Create(int count, int seed = 1)
    {
        const int size = MnistFormat.ImageSize;
        var random = new Random(seed);
        var pixels = new byte[count * MnistFormat.PixelsPerImage];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int digit = i % MnistFormat.ClassCount;
            labels[i] = (byte)digit;
            var image = pixels.AsSpan(i * MnistFormat.PixelsPerImage, MnistFormat.PixelsPerImage);
            for (int p = 0; p < image.Length; p++)
            {
                image[p] = (byte)random.Next(0, 40);
            }
            int top = 2 + ((digit / 5) * 12), left = 2 + ((digit % 5) * 5);
            for (int y = top; y < top + 6; y++)
            {
                for (int x = left; x < Math.Min(left + 6, size); x++)
                {
                    image[(y * size) + x] = (byte)random.Next(200, 256);
                }
            }
        }
        return MnistDataset.FromBytes(pixels, labels);
    }
}
