using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistCnn.Core.Tests;

/// <summary>A digit as a form scanner crops it: in its character cell, the box's lines with it.</summary>
internal static class FormCell
{
    /// <summary>
    /// The ink (255: ink) of a black-on-white digit in a cell: a 2-pixel box round it, 8 pixels off or touching its top, at
    /// least 0.8 times as wide as tall, tilted by <paramref name="degrees"/>; without the digit, the same cell empty.
    /// </summary>
    public static Image<L8> Around(Image<L8> line, bool touching, float degrees, bool withDigit = true)
    {
        var (rows, columns) = InkBounds(line);
        const int margin = 8;
        int top = rows[0] - (touching ? 0 : margin) - 2, bottom = rows[^1] + margin + 2;
        int width = Math.Max(columns[^1] - columns[0] + 1 + (2 * margin) + 4, (int)(0.8 * (bottom - top + 1)));
        int left = ((columns[0] + columns[^1]) / 2) - (width / 2), right = left + width - 1;
        var cell = new Image<L8>(width + 40, bottom - top + 41);
        for (int y = 0; y < cell.Height; y++)
        {
            for (int x = 0; x < cell.Width; x++)
            {
                int lx = x - 20 + left, ly = y - 20 + top;
                bool inLine = withDigit && lx >= 0 && lx < line.Width && ly >= 0 && ly < line.Height;
                bool onBox = lx >= left && lx <= right && ly >= top && ly <= bottom && (lx < left + 2 || lx > right - 2 || ly < top + 2 || ly > bottom - 2);
                cell[x, y] = new L8(onBox ? (byte)255 : inLine ? (byte)(255 - line[lx, ly].PackedValue) : (byte)0);
            }
        }
        if (degrees != 0)
        {
            cell.Mutate(c => c.Rotate(degrees));
        }
        return cell;
    }

    /// <summary>
    /// The ink (255: ink) of a black-on-white digit on the 3-pixel rule of its field, <paramref name="length"/> times the
    /// digit's height long and centred under it, its feet on the rule or 8 pixels above it.
    /// </summary>
    public static Image<L8> OnRule(Image<L8> line, bool touching, double length)
    {
        var (rows, columns) = InkBounds(line);
        int height = rows[^1] - rows[0] + 1, rule = (int)(length * height), centre = (columns[0] + columns[^1]) / 2;
        int ruleTop = rows[^1] + (touching ? 0 : 8), width = Math.Max(rule, columns[^1] - columns[0] + 1) + 40;
        int left = centre - (width / 2), top = rows[0] - 20;
        var field = new Image<L8>(width, ruleTop + 3 + 20 - top);
        for (int y = 0; y < field.Height; y++)
        {
            for (int x = 0; x < field.Width; x++)
            {
                int lx = x + left, ly = y + top;
                bool onRule = ly >= ruleTop && ly < ruleTop + 3 && Math.Abs(lx - centre) <= rule / 2;
                bool inLine = lx >= 0 && lx < line.Width && ly >= 0 && ly < line.Height;
                field[x, y] = new L8(onRule ? (byte)255 : inLine ? (byte)(255 - line[lx, ly].PackedValue) : (byte)0);
            }
        }
        return field;
    }

    /// <summary>
    /// The ink (255: ink) of a black-on-white digit in a comb's cell: a 2-pixel rule under it, 6 pixels below its feet or
    /// touching them, with a tick a third of the digit's height at each end, 12 pixels from the digit or 0.9 times its
    /// height apart; without the digit, the same cell empty.
    /// </summary>
    public static Image<L8> InComb(Image<L8> line, bool touching, bool withDigit = true)
    {
        var (rows, columns) = InkBounds(line);
        int height = rows[^1] - rows[0] + 1, cell = Math.Max(columns[^1] - columns[0] + 1 + 24, (int)(0.9 * height));
        int centre = (columns[0] + columns[^1]) / 2, left = centre - (cell / 2) - 20, top = rows[0] - 20;
        int ruleTop = rows[^1] + 1 + (touching ? 0 : 6), tickTop = ruleTop - (height / 3);
        var field = new Image<L8>(cell + 40, ruleTop + 2 + 20 - top);
        for (int y = 0; y < field.Height; y++)
        {
            for (int x = 0; x < field.Width; x++)
            {
                int lx = x + left, ly = y + top, fromLeft = x - 20;
                bool onRule = ly >= ruleTop && ly < ruleTop + 2 && fromLeft >= 0 && fromLeft < cell;
                bool onTick = ly >= tickTop && ly < ruleTop && (fromLeft is 0 or 1 || fromLeft == cell - 2 || fromLeft == cell - 1);
                bool inLine = withDigit && lx >= 0 && lx < line.Width && ly >= 0 && ly < line.Height;
                field[x, y] = new L8(onRule || onTick ? (byte)255 : inLine ? (byte)(255 - line[lx, ly].PackedValue) : (byte)0);
            }
        }
        return field;
    }

    /// <summary>The rows and the columns with ink (darker than mid-grey) of a black-on-white image, in order.</summary>
    private static (List<int> Rows, List<int> Columns) InkBounds(Image<L8> line)
    {
        var rows = Enumerable.Range(0, line.Height).Where(y => Enumerable.Range(0, line.Width).Any(x => line[x, y].PackedValue < 128)).ToList();
        var columns = Enumerable.Range(0, line.Width).Where(x => rows.Any(y => line[x, y].PackedValue < 128)).ToList();
        return (rows, columns);
    }

    /// <summary>The <paramref name="field"/> captured in a style (<see cref="ComposedNumbers.Capture"/>), and disposed.</summary>
    public static byte[] Capture(Image<L8> field, CaptureStyle style, Random random)
    {
        using (field)
        {
            return ComposedNumbers.Capture(field, style, random);
        }
    }
}
