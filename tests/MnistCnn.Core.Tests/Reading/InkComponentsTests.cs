using MnistCnn.Core.Imaging;
using MnistCnn.Core.Reading;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>The run-based labelling against a plain flood fill (8-connected, or 4-connected as for paper), on random ink of every density.</summary>
public sealed class InkComponentsTests
{
    private const float Threshold = 0.2f;

    [Theory]
    [InlineData(1, 37, 23, 0.1)]
    [InlineData(2, 37, 23, 0.4)]
    [InlineData(3, 64, 40, 0.6)]
    [InlineData(4, 1, 50, 0.5)]
    [InlineData(5, 50, 1, 0.5)]
    [InlineData(6, 90, 30, 0.8)]
    public void Labels_boxes_and_areas_match_a_flood_fill_in_raster_order(int seed, int w, int h, double density)
    {
        var random = new Random(seed);
        // Values either side of the ink threshold, the threshold itself included.
        var pixels = Enumerable.Range(0, w * h).Select(_ => random.NextDouble() < density
            ? (random.Next(4) == 0 ? Threshold : Threshold + ((1 - Threshold) * (float)random.NextDouble()))
            : 0.99f * Threshold * (float)random.NextDouble()).ToArray();
        var (expectedLabels, expected) = FloodFill(pixels, w, h);

        using var found = InkComponents.Find(new GrayImage(pixels, w, h), Threshold, 100_000, "test");
        Assert.Equal(expected, found.All);
        Assert.Equal(expectedLabels, found.Labels.Take(w * h));
    }

    [Theory]
    [InlineData(7, 37, 23, 0.3)]
    [InlineData(8, 64, 40, 0.6)]
    [InlineData(9, 1, 50, 0.5)]
    [InlineData(10, 90, 30, 0.8)]
    public void Four_connected_runs_join_as_a_four_connected_flood_fill(int seed, int w, int h, double density)
    {
        var random = new Random(seed);
        var pixels = Enumerable.Range(0, w * h).Select(_ => random.NextDouble() < density ? 1f : 0f).ToArray();
        var (expected, _) = FloodFill(pixels, w, h, fourConnected: true);

        using var runs = new InkRuns();
        runs.Scan(pixels, w, h, Threshold, fourConnected: true);
        runs.Flatten();
        // Sets numbered by their first run, as the flood fill numbers them by their first pixel.
        var labelOfRoot = new Dictionary<int, int>();
        var labels = new int[w * h];
        for (int r = 0; r < runs.Count; r++)
        {
            int root = runs.Parent[r];
            int label = labelOfRoot.TryGetValue(root, out int known) ? known : labelOfRoot[root] = labelOfRoot.Count + 1;
            Array.Fill(labels, label, (runs.Row[r] * w) + runs.Start[r], runs.End[r] - runs.Start[r] + 1);
        }
        Assert.Equal(expected, labels);
    }

    [Fact]
    public void More_components_than_allowed_are_refused()
    {
        // 11 x 11 isolated dots.
        int w = 22, h = 22;
        var pixels = new float[w * h];
        for (int y = 0; y < h; y += 2)
        {
            for (int x = 0; x < w; x += 2)
            {
                pixels[(y * w) + x] = 1f;
            }
        }
        using (var exactly = InkComponents.Find(new GrayImage(pixels, w, h), Threshold, 121, "dots"))
        {
            Assert.Equal(121, exactly.All.Count);
        }
        var error = Assert.Throws<DigitImageException>(() => InkComponents.Find(new GrayImage(pixels, w, h), Threshold, 120, "dots"));
        Assert.Equal(DigitImageError.NoDigit, error.Error);
        Assert.Contains("more than 120 separate marks", error.Message, StringComparison.Ordinal);
    }

    private static (int[] Labels, List<InkComponent> Components) FloodFill(float[] pixels, int w, int h, bool fourConnected = false)
    {
        var labels = new int[w * h];
        var components = new List<InkComponent>();
        for (int start = 0; start < w * h; start++)
        {
            if (labels[start] != 0 || pixels[start] < Threshold)
            {
                continue;
            }
            int label = components.Count + 1;
            int left = w, top = h, right = -1, bottom = -1, area = 0;
            var queue = new Queue<int>([start]);
            labels[start] = label;
            while (queue.TryDequeue(out int p))
            {
                int x = p % w, y = p / w;
                (left, right, top, bottom, area) = (Math.Min(left, x), Math.Max(right, x), Math.Min(top, y), Math.Max(bottom, y), area + 1);
                for (int ny = Math.Max(0, y - 1); ny <= Math.Min(h - 1, y + 1); ny++)
                {
                    for (int nx = Math.Max(0, x - 1); nx <= Math.Min(w - 1, x + 1); nx++)
                    {
                        int q = (ny * w) + nx;
                        bool diagonal = nx != x && ny != y;
                        if (labels[q] == 0 && pixels[q] >= Threshold && !(fourConnected && diagonal))
                        {
                            labels[q] = label;
                            queue.Enqueue(q);
                        }
                    }
                }
            }
            components.Add(new InkComponent(label, left, top, right, bottom, area));
        }
        return (labels, components);
    }
}
