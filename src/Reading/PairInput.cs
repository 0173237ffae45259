using MnistCnn.Core.Imaging;
using MnistCnn.Core.Model;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Reading;

/// <summary>
/// A candidate as <see cref="DigitPairModule"/> sees it: strokes thickened as for one digit, the ink box scaled into
/// 40 x 20 px (aspect kept) and centred in the 48 x 28 frame; and a candidate read as two digits, parted for its
/// <see cref="ReadDigit"/>s.
/// </summary>
internal static class PairInput
{
    public const int Pixels = DigitPairModule.Width * DigitPairModule.Height;

    /// <summary>Candidates narrower than this many line heights are not shown to the pair model (two digits are wider).</summary>
    public const double MinWidth = 0.45;

    private const int InkWidth = 40, InkHeight = 20;

    /// <summary>
    /// Writes the pair model's input for <paramref name="crop"/> into <paramref name="destination"/> (<see cref="Pixels"/>
    /// values, zeroed first), thin strokes only dilated where <paramref name="plainDilation"/>.
    /// </summary>
    public static void Normalize(GrayImage crop, Span<float> destination, bool plainDilation = false) =>
        NormalizeThickened(StrokeWidth.ThickenThin(crop, plainDilation), destination);

    /// <summary><see cref="Normalize"/> of a crop whose thin strokes <see cref="StrokeWidth.ThickenThin"/> has thickened already.</summary>
    public static void NormalizeThickened(GrayImage thick, Span<float> destination)
    {
        destination[..Pixels].Clear();
        if (!InkBox.TryFind(thick.Pixels, thick.Width, thick.Height, out var box))
        {
            return;
        }
        var ink = box.Width == thick.Width && box.Height == thick.Height ? thick : InkBox.Crop(thick.Pixels, thick.Width, box);
        double factor = Math.Min((double)InkHeight / ink.Height, (double)InkWidth / ink.Width);
        int sw = Math.Clamp((int)Math.Round(ink.Width * factor), 1, InkWidth), sh = Math.Clamp((int)Math.Round(ink.Height * factor), 1, InkHeight);
        var scaled = BicubicResampler.ScaleTo(ink, sw, sh);
        int ox = (DigitPairModule.Width - sw) / 2, oy = (DigitPairModule.Height - sh) / 2;
        for (int y = 0; y < sh; y++)
        {
            scaled.Pixels.AsSpan(y * sw, sw).CopyTo(destination[(((oy + y) * DigitPairModule.Width) + ox)..]);
        }
    }

    /// <summary>
    /// Parts a candidate read as two digits at its faintest column in the middle third of its ink: each half's crop and
    /// its box in the image's pixels.
    /// </summary>
    public static ((GrayImage Crop, Rectangle Box) Left, (GrayImage Crop, Rectangle Box) Right) Halves(GrayImage crop, Rectangle box)
    {
        var (pixels, w, h) = crop;
        int cut = w / 2;
        if (w >= 3)
        {
            float least = float.MaxValue;
            for (int x = w / 3; x < w - (w / 3); x++)
            {
                float column = 0;
                for (int y = 0; y < h; y++)
                {
                    column += pixels[(y * w) + x];
                }
                // Nearest the middle among equals, so a gap or an even stroke is parted at its centre.
                if (column < least || (column == least && Math.Abs(x - (w / 2)) < Math.Abs(cut - (w / 2))))
                {
                    (least, cut) = (column, x);
                }
            }
        }
        cut = Math.Clamp(cut, 1, w - 1);
        return (Part(crop, box, 0, cut), Part(crop, box, cut, w));
    }

    private static (GrayImage, Rectangle) Part(GrayImage crop, Rectangle box, int x0, int x1)
    {
        int pw = x1 - x0;
        var part = new float[pw * crop.Height];
        for (int y = 0; y < crop.Height; y++)
        {
            Array.Copy(crop.Pixels, (y * crop.Width) + x0, part, y * pw, pw);
        }
        if (!InkBox.TryFind(part, pw, crop.Height, out var ink))
        {
            return (new GrayImage(part, pw, crop.Height), new Rectangle(box.X + x0, box.Y, pw, box.Height));
        }
        return (InkBox.Crop(part, pw, ink), new Rectangle(box.X + x0 + ink.X, box.Y + ink.Y, ink.Width, ink.Height));
    }
}
