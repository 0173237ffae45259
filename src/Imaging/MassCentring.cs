using MnistCnn.Core.Data;

namespace MnistCnn.Core.Imaging;

/// <summary>The last stage, LeCun's: the digit pasted into the 28 x 28 frame with its centre of mass in the middle.</summary>
internal static class MassCentring
{
    private const int Size = MnistFormat.ImageSize;

    /// <summary>Pastes the box into 28 x 28 so that its centre of mass lands on the centre (kept inside the frame).</summary>
    public static float[] Centre(GrayImage image)
    {
        var (v, w, h) = image;
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                float p = v[(y * w) + x];
                mass += p;
                mx += p * (x + 0.5);
                my += p * (y + 0.5);
            }
        }
        int ox = (int)Math.Round((Size / 2.0) - (mass > 0 ? mx / mass : w / 2.0));
        int oy = (int)Math.Round((Size / 2.0) - (mass > 0 ? my / mass : h / 2.0));
        ox = Math.Clamp(ox, 0, Size - w);
        oy = Math.Clamp(oy, 0, Size - h);
        var result = new float[Size * Size];
        for (int y = 0; y < h; y++)
        {
            Array.Copy(v, y * w, result, ((y + oy) * Size) + ox, w);
        }
        return result;
    }
}
