using System.Buffers;
using MnistCnn.Core.Imaging;

namespace MnistCnn.Core.Reading;

/// <summary>One 8-connected blob of ink: its box (inclusive) and its pixel count.</summary>
internal readonly record struct InkComponent(int Label, int Left, int Top, int Right, int Bottom, int Area)
{
    public int Width => Right - Left + 1;

    public int Height => Bottom - Top + 1;
}

/// <summary>
/// The 8-connected components of the ink of a line image, with a label per pixel (0: background), so that a digit's
/// crop can take its own components' ink and leave a neighbour's fragments out.
/// </summary>
internal sealed class InkComponents : IDisposable
{
    /// <summary>Pixels at or above this level are ink for the connectivity (the image is ink in [0, 1] on 0).</summary>
    public const float InkThreshold = 0.3f;

    private InkComponents(GrayImage image, int[] labels, List<InkComponent> components)
    {
        Image = image;
        Labels = labels;
        All = components;
    }

    public GrayImage Image { get; }

    public int[] Labels { get; }

    public IReadOnlyList<InkComponent> All { get; }

    /// <summary>Returns the label buffer to the pool; <see cref="Labels"/> must not be used after.</summary>
    public void Dispose() => ArrayPool<int>.Shared.Return(Labels);

    /// <summary>
    /// Labels the components of <paramref name="image"/>; more than <paramref name="maxComponents"/> is not a line of
    /// digits, and stops the labelling at once (bounded time and memory for a page of text or noise).
    /// </summary>
    /// <exception cref="DigitImageException">There are more than <paramref name="maxComponents"/> components.</exception>
    public static InkComponents Find(GrayImage image, int maxComponents, string source)
    {
        var (pixels, w, h) = image;
        // Rented, like the image: a fresh 4 bytes per pixel would cost a page fault per 1,024 pixels. Dispose returns it.
        int count = w * h;
        var labels = ArrayPool<int>.Shared.Rent(count);
        Array.Clear(labels, 0, count);
        var components = new List<InkComponent>();
        var stack = new Stack<int>();
        for (int start = 0; start < count; start++)
        {
            if (labels[start] != 0 || pixels[start] < InkThreshold)
            {
                continue;
            }
            if (components.Count == maxComponents)
            {
                ArrayPool<int>.Shared.Return(labels);
                throw new DigitImageException(DigitImageError.NoDigit,
                    $"{source}: more than {maxComponents} separate marks; this is not one line of digits (a page of text or a noisy scan?). Crop the image to the number.");
            }
            int label = components.Count + 1;
            int left = w, top = h, right = -1, bottom = -1, area = 0;
            labels[start] = label;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                int x = p % w, y = p / w;
                area++;
                left = Math.Min(left, x);
                right = Math.Max(right, x);
                top = Math.Min(top, y);
                bottom = Math.Max(bottom, y);
                for (int dy = -1; dy <= 1; dy++)
                {
                    int ny = y + dy;
                    if (ny < 0 || ny >= h)
                    {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx;
                        int q = (ny * w) + nx;
                        if (nx >= 0 && nx < w && labels[q] == 0 && pixels[q] >= InkThreshold)
                        {
                            labels[q] = label;
                            stack.Push(q);
                        }
                    }
                }
            }
            components.Add(new InkComponent(label, left, top, right, bottom, area));
        }
        return new InkComponents(image, labels, components);
    }

    /// <summary>
    /// The ink of the components in <paramref name="labels"/> between columns <paramref name="x0"/> (inclusive) and
    /// <paramref name="x1"/> (exclusive), cropped to its own box; null when there is none. Other components' ink is left out.
    /// </summary>
    public (GrayImage Crop, SixLabors.ImageSharp.Rectangle Box)? Crop(IReadOnlySet<int> labels, int x0, int x1)
    {
        var (pixels, w, h) = Image;
        var wanted = new bool[All.Count + 1];
        int rowFrom = h, rowTo = -1, columnFrom = x1, columnTo = x0 - 1;
        foreach (int label in labels)
        {
            wanted[label] = true;
            var component = All[label - 1];
            (rowFrom, rowTo) = (Math.Min(rowFrom, component.Top), Math.Max(rowTo, component.Bottom));
            (columnFrom, columnTo) = (Math.Max(x0, Math.Min(columnFrom, component.Left)), Math.Min(x1 - 1, Math.Max(columnTo, component.Right)));
        }
        int left = int.MaxValue, top = int.MaxValue, right = -1, bottom = -1;
        // Only the wanted components' boxes can hold their ink.
        for (int y = rowFrom; y <= rowTo; y++)
        {
            for (int x = columnFrom; x <= columnTo; x++)
            {
                if (wanted[Labels[(y * w) + x]])
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }
        if (right < 0)
        {
            return null;
        }
        int cw = right - left + 1, ch = bottom - top + 1;
        var crop = new float[cw * ch];
        for (int y = 0; y < ch; y++)
        {
            for (int x = 0; x < cw; x++)
            {
                int p = ((top + y) * w) + left + x;
                int l = Labels[p];
                // Faint antialiasing next to this digit's strokes belongs to it too; a neighbour's ink does not.
                crop[(y * cw) + x] = l == 0 ? (pixels[p] < InkThreshold ? pixels[p] : 0f) : wanted[l] ? pixels[p] : 0f;
            }
        }
        return (new GrayImage(crop, cw, ch), new SixLabors.ImageSharp.Rectangle(left, top, cw, ch));
    }
}
