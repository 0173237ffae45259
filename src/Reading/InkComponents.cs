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
    private InkComponents(GrayImage image, float threshold, int[] labels, List<InkComponent> components)
    {
        Image = image;
        Threshold = threshold;
        Labels = labels;
        All = components;
    }

    public GrayImage Image { get; }

    /// <summary>Pixels at or above this level are ink for the connectivity (the image is ink in [0, 1] on 0); fainter ones next to a component's strokes go with it into a crop.</summary>
    public float Threshold { get; }

    public int[] Labels { get; }

    public IReadOnlyList<InkComponent> All { get; }

    /// <summary>Returns the label buffer to the pool; <see cref="Labels"/> must not be used after.</summary>
    public void Dispose() => ArrayPool<int>.Shared.Return(Labels);

    /// <summary>
    /// Labels the components of <paramref name="image"/>; more than <paramref name="maxComponents"/> is not a line of
    /// digits, and is refused (time and memory linear in the pixels, which the decoder bounds). Labels are numbered in
    /// the raster order of each component's first pixel.
    /// </summary>
    /// <exception cref="DigitImageException">There are more than <paramref name="maxComponents"/> components.</exception>
    public static InkComponents Find(GrayImage image, float threshold, int maxComponents, string source)
    {
        var (pixels, w, h) = image;
        // Rented, like the image: a fresh 4 bytes per pixel would cost a page fault per 1,024 pixels. Dispose returns it.
        int count = w * h;
        var labels = ArrayPool<int>.Shared.Rent(count);
        Array.Clear(labels, 0, count);
        var runs = new InkRuns();
        try
        {
            runs.Scan(pixels, w, h, threshold);
            runs.Flatten();
            var components = new List<InkComponent>();
            // Each run's label replaces its root in the same array: a root comes before the rest of its set.
            var rootOrLabel = runs.Parent;
            for (int r = 0; r < runs.Count; r++)
            {
                int root = rootOrLabel[r];
                int label;
                if (root == r)
                {
                    if (components.Count == maxComponents)
                    {
                        throw new DigitImageException(DigitImageError.NoDigit,
                            $"{source}: more than {maxComponents} separate marks; this is not one line of digits (a page of text or a noisy scan?). Crop the image to the number.");
                    }
                    label = components.Count + 1;
                    components.Add(new InkComponent(label, w, h, -1, -1, 0));
                }
                else
                {
                    label = rootOrLabel[root];
                }
                rootOrLabel[r] = label;
                var (y, x0, x1) = (runs.Row[r], runs.Start[r], runs.End[r]);
                Array.Fill(labels, label, (y * w) + x0, x1 - x0 + 1);
                var c = components[label - 1];
                components[label - 1] = c with
                {
                    Left = Math.Min(c.Left, x0),
                    Right = Math.Max(c.Right, x1),
                    Top = Math.Min(c.Top, y),
                    Bottom = Math.Max(c.Bottom, y),
                    Area = c.Area + (x1 - x0 + 1),
                };
            }
            return new InkComponents(image, threshold, labels, components);
        }
        catch
        {
            ArrayPool<int>.Shared.Return(labels);
            throw;
        }
        finally
        {
            runs.Dispose();
        }
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
        if (columnTo < columnFrom)
        {
            return null;
        }
        // One pass over the wanted components' boxes (only they can hold their ink) takes the pixels and finds the
        // ink's own box; the crop is then copied out of that, row by row.
        int bw = columnTo - columnFrom + 1, bh = rowTo - rowFrom + 1;
        var taken = ArrayPool<float>.Shared.Rent(bw * bh);
        try
        {
            int left = int.MaxValue, top = int.MaxValue, right = -1, bottom = -1;
            for (int y = 0; y < bh; y++)
            {
                int from = ((rowFrom + y) * w) + columnFrom;
                for (int x = 0; x < bw; x++)
                {
                    int l = Labels[from + x];
                    float p = pixels[from + x];
                    if (wanted[l])
                    {
                        left = Math.Min(left, x);
                        right = Math.Max(right, x);
                        top = Math.Min(top, y);
                        bottom = Math.Max(bottom, y);
                    }
                    // Faint antialiasing next to this digit's strokes belongs to it too; a neighbour's ink does not.
                    taken[(y * bw) + x] = l == 0 ? (p < Threshold ? p : 0f) : wanted[l] ? p : 0f;
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
                Array.Copy(taken, ((top + y) * bw) + left, crop, y * cw, cw);
            }
            return (new GrayImage(crop, cw, ch), new SixLabors.ImageSharp.Rectangle(columnFrom + left, rowFrom + top, cw, ch));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(taken);
        }
    }
}
