using SixLabors.ImageSharp;

namespace MnistCnn.Core.Imaging;

/// <summary>The crop stage: the box of the rows and columns that carry a meaningful share of the ink.</summary>
internal static class InkBox
{
    /// <summary>The bounding box of the rows and columns that carry a meaningful share of the ink (specks are ignored).</summary>
    public static bool TryFind(ReadOnlySpan<float> v, int w, int h, out Rectangle box)
    {
        var rows = new float[h];
        var cols = new float[w];
        for (int y = 0; y < h; y++)
        {
            var row = v.Slice(y * w, w);
            float sum = 0;
            for (int x = 0; x < row.Length; x++)
            {
                sum += row[x];
                cols[x] += row[x];
            }
            rows[y] = sum;
        }
        float rowMax = MaxOf(rows), colMax = MaxOf(cols);
        if (rowMax <= 0)
        {
            box = default;
            return false;
        }
        float rowCut = 0.02f * rowMax, colCut = 0.02f * colMax;
        int top = Array.FindIndex(rows, r => r > rowCut), bottom = Array.FindLastIndex(rows, r => r > rowCut);
        int left = Array.FindIndex(cols, c => c > colCut), right = Array.FindLastIndex(cols, c => c > colCut);
        box = new Rectangle(left, top, right - left + 1, bottom - top + 1);
        return true;
    }

    private static float MaxOf(float[] values)
    {
        float max = 0;
        foreach (float v in values)
        {
            max = Math.Max(max, v);
        }
        return max;
    }

    /// <summary>A copy of <paramref name="box"/> out of the <paramref name="w"/>-wide image <paramref name="v"/>.</summary>
    public static GrayImage Crop(ReadOnlySpan<float> v, int w, Rectangle box)
    {
        var crop = new float[box.Width * box.Height];
        for (int y = 0; y < box.Height; y++)
        {
            v.Slice(((box.Y + y) * w) + box.X, box.Width).CopyTo(crop.AsSpan(y * box.Width, box.Width));
        }
        return new GrayImage(crop, box.Width, box.Height);
    }
}
