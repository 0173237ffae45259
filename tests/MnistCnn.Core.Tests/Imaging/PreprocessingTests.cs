using MnistCnn.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class PreprocessingTests
{
    private static float[] Gray(int w, int h, Func<int, int, float> f) =>
        Enumerable.Range(0, w * h).Select(i => f(i % w, i / w)).ToArray();

    /// <summary>The maximum (or the minimum) of the window of <paramref name="radius"/> round (cx, cy), with no ink (0) beyond the image.</summary>
    private static float WindowExtreme(float[] source, int w, int h, int cx, int cy, int radius, bool maximum)
    {
        float result = maximum ? 0f : 1f;
        for (int sy = cy - radius; sy <= cy + radius; sy++)
        {
            for (int sx = cx - radius; sx <= cx + radius; sx++)
            {
                float value = sx < 0 || sy < 0 || sx >= w || sy >= h ? 0f : source[(sy * w) + sx];
                result = maximum ? Math.Max(result, value) : Math.Min(result, value);
            }
        }
        return result;
    }

    [Fact]
    public void Transparent_dark_strokes_are_composited_on_white()
    {
        using var image = new Image<Rgba32>(4, 1);
        image[0, 0] = new Rgba32(0, 0, 0, 255);
        image[1, 0] = new Rgba32(0, 0, 0, 0);
        var gray = new float[4];
        Grayscale.Write(image, gray);
        Assert.Equal(0f, gray[0]);
        Assert.Equal(1f, gray[1]);
    }

    [Fact]
    public void Dark_on_light_is_inverted_light_on_dark_is_kept()
    {
        var paper = Gray(10, 10, (x, y) => x == 5 ? 0f : 0.9f);
        float bg = Levels.Polarize(paper, 10, 10);
        Assert.Equal(0.1, bg, tolerance: 1.0 / 1024); // the median comes from a 1024-bin histogram
        Assert.Equal(1f, paper[5], 3);

        var board = Gray(10, 10, (x, y) => x == 5 ? 0.9f : 0.1f);
        Assert.Equal(0.1, Levels.Polarize(board, 10, 10), tolerance: 1.0 / 1024);
        Assert.Equal(0.9f, board[5], 3);
    }

    [Fact]
    public void Background_is_suppressed_to_zero()
    {
        var v = new[] { 0.1f, 0.15f, 0.9f };
        Levels.SuppressBackground(v, 0.2f, 0.9f);
        Assert.Equal([0f, 0f, 1f], v);
    }

    [Fact]
    public void Uneven_lighting_is_flattened_and_even_lighting_left_alone()
    {
        // Polarized: ink 1 on a background that rises from 0 to 0.5 across (paper darkening into a shadow).
        static bool Stroke(int x, int y) => x >= 40 && x < 48 && y >= 10 && y < 90;
        var shaded = Gray(120, 100, (x, y) => Stroke(x, y) ? 1f : 0.5f * x / 119);
        Assert.True(Shading.Flatten(shaded, 120, 100));
        float paper = shaded.Where((_, i) => !Stroke(i % 120, i / 120)).Max();
        Assert.True(paper < 0.15f, $"the paper is not flat: up to {paper}");
        Assert.True(shaded.Where((_, i) => Stroke(i % 120, i / 120)).All(v => v > 0.9f), "the ink lost its contrast");

        // Evenly lit, with ink running into the border band on one side: not touched.
        var even = Gray(120, 100, (x, y) => x >= 100 || Stroke(x, y) ? 1f : 0.1f);
        var before = even.ToArray();
        Assert.False(Shading.Flatten(even, 120, 100));
        Assert.Equal(before, even);
    }

    [Fact]
    public void A_box_round_a_digit_is_erased_and_a_square_0_or_an_empty_box_kept()
    {
        // A 2-pixel box (columns 10-69, rows 5-94) round an upright stroke that touches its top.
        static bool OnBox(int x, int y) => x >= 10 && x < 70 && y >= 5 && y < 95 && (x < 12 || x >= 68 || y < 7 || y >= 93);
        static bool Stroke(int x, int y) => x >= 36 && x < 44 && y >= 7 && y < 80;
        var boxed = Gray(80, 100, (x, y) => OnBox(x, y) || Stroke(x, y) ? 1f : 0f);
        Assert.True(InkBox.TryFind(boxed, 80, 100, out var box));
        Assert.True(Frame.TryErase(boxed, 80, 100, ref box, out bool empty));
        Assert.False(empty);
        Assert.Equal(new Rectangle(36, 7, 8, 73), box);
        Assert.True(boxed.Where((_, i) => OnBox(i % 80, i / 80)).All(v => v == 0), "the box is not erased");
        Assert.True(boxed.Where((_, i) => Stroke(i % 80, i / 80)).All(v => v == 1), "the stroke lost ink");

        // The same box empty, and a 0 drawn square with a thick pen: nothing inside, so left as they are; the box is an
        // empty cell, the 0's strokes are too thick for a form's lines.
        foreach (var (alone, emptyCell) in new[] { (Gray(80, 100, (x, y) => OnBox(x, y) ? 1f : 0f), true), (Gray(80, 100, (x, y) => x >= 10 && x < 70 && y >= 5 && y < 95 && (x < 18 || x >= 62 || y < 13 || y >= 87) ? 1f : 0f), false) })
        {
            var before = alone.ToArray();
            Assert.True(InkBox.TryFind(alone, 80, 100, out box));
            Assert.False(Frame.TryErase(alone, 80, 100, ref box, out empty));
            Assert.Equal(emptyCell, empty);
            Assert.Equal(before, alone);
        }
    }

    [Fact]
    public void A_rule_under_a_digit_is_erased_and_a_foot_that_runs_on_a_little_kept()
    {
        // Two upright strokes (columns 30-37 and 52-59, a digit's sides) just above a 3-pixel line that runs on past them
        // by 20 columns at each end: a rule; by 3 columns (a 2's foot): part of the digit, unless a comb's tick rises at
        // each end.
        foreach (var (runOn, ticks) in new[] { (20, false), (3, false), (3, true) })
        {
            bool Line(int x, int y) => (y >= 80 && y < 83 && x >= 30 - runOn && x < 60 + runOn)
                || (ticks && y >= 60 && y < 80 && (x == 30 - runOn || x == 59 + runOn));
            bool Stroke(int x, int y) => y >= 10 && y < 76 && ((x >= 30 && x < 38) || (x >= 52 && x < 60));
            var v = Gray(90, 90, (x, y) => Line(x, y) || Stroke(x, y) ? 1f : 0f);
            var before = v.ToArray();
            Assert.True(InkBox.TryFind(v, 90, 90, out var box));
            bool erased = runOn == 20 || ticks;
            Assert.True(erased == Frame.TryErase(v, 90, 90, ref box, out bool empty), $"run on {runOn}, ticks {ticks}");
            Assert.False(empty);
            if (erased)
            {
                Assert.Equal(new Rectangle(30, 10, 30, 66), box);
                Assert.True(v.Where((_, i) => Line(i % 90, i / 90)).All(p => p == 0), "the rule is not erased");
            }
            else
            {
                Assert.Equal(before, v);
            }
        }
    }

    [Fact]
    public void An_empty_combs_cell_is_empty_and_two_thin_1s_on_a_rule_as_wide_as_they_are_are_not()
    {
        // Two 2-pixel uprights on a 2-pixel rule that ends at them: a comb's ticks, 20 rows tall and 70 columns apart
        // with nothing between; or two 1s written with a thin pen, 60 rows tall and 30 columns apart.
        foreach (var (tall, apart, emptyCell) in new[] { (20, 70, true), (60, 30, false) })
        {
            bool Ink(int x, int y) => (y >= 80 && y < 82 && x >= 10 && x < 10 + apart)
                || (y >= 80 - tall && y < 80 && (x is 10 or 11 || x == 8 + apart || x == 9 + apart));
            var v = Gray(100, 90, (x, y) => Ink(x, y) ? 1f : 0f);
            var before = v.ToArray();
            Assert.True(InkBox.TryFind(v, 100, 90, out var box));
            Assert.False(Frame.TryErase(v, 100, 90, ref box, out bool empty));
            Assert.True(emptyCell == empty, $"{tall} tall, {apart} apart");
            Assert.Equal(before, v);
        }
    }

    [Fact]
    public void Ink_box_ignores_a_faint_speck()
    {
        var v = Gray(50, 50, (x, y) => (x >= 10 && x < 20 && y >= 5 && y < 40) ? 1f : 0f);
        v[(48 * 50) + 48] = 0.1f;
        Assert.True(InkBox.TryFind(v, 50, 50, out var box));
        Assert.Equal(new Rectangle(10, 5, 10, 35), box);
    }

    [Fact]
    public void Thin_strokes_are_thickened_thick_ones_kept()
    {
        var thin = Gray(100, 100, (x, y) => x == 50 || y == 50 ? 1f : 0f);
        var thick = StrokeWidth.ThickenThin(new GrayImage(thin, 100, 100));
        Assert.True(thick.Width > 100);
        Assert.True(thick.Pixels.Count(p => p > 0.5f) > 5 * thin.Count(p => p > 0.5f));

        var bold = new GrayImage(Gray(100, 100, (x, y) => Math.Abs(x - 50) < 6 ? 1f : 0f), 100, 100);
        Assert.Same(bold.Pixels, StrokeWidth.ThickenThin(bold).Pixels);
    }

    [Fact]
    public void Outlined_strokes_are_filled_and_a_thin_pens_loops_kept()
    {
        // A bold bar drawn as its outline: one thin line round a 21 x 81 stroke, left hollow.
        var outlined = new GrayImage(Gray(100, 100, (x, y) =>
            (x is 40 or 60 && y is >= 10 and <= 90) || (y is 10 or 90 && x is >= 40 and <= 60) ? 1f : 0f), 100, 100);
        var filled = StrokeWidth.ThickenThin(outlined);
        int pad = (filled.Width - 100) / 2;
        for (int x = 41; x < 60; x++)
        {
            Assert.True(filled[x + pad, 50 + pad] > 0.5f, $"the bar's inside at x = {x} is filled");
        }
        Assert.Equal(filled.Width, filled.Height);

        // Thin-pen loops: a ring's round counter, and the two small loops of an 8, stay paper.
        var ring = new GrayImage(Gray(100, 100, (x, y) => Math.Abs(Math.Sqrt(((x - 50) * (x - 50)) + ((y - 50) * (y - 50))) - 30) < 0.8 ? 1f : 0f), 100, 100);
        var ringThick = StrokeWidth.ThickenThin(ring);
        int ringPad = (ringThick.Width - 100) / 2;
        Assert.True(ringThick[50 + ringPad, 50 + ringPad] < 0.5f);
        var eight = new GrayImage(Gray(60, 100, (x, y) =>
            Math.Abs(Math.Sqrt(((x - 30) * (x - 30)) + ((y - 28) * (y - 28))) - 12) < 0.8 || Math.Abs(Math.Sqrt(((x - 30) * (x - 30)) + ((y - 66) * (y - 66))) - 16) < 0.8 ? 1f : 0f), 60, 100);
        var eightThick = StrokeWidth.ThickenThin(eight);
        int eightPad = (eightThick.Width - 60) / 2;
        Assert.True(eightThick[30 + eightPad, 28 + eightPad] < 0.5f, "the upper loop's counter is kept");
        Assert.True(eightThick[30 + eightPad, 66 + eightPad] < 0.5f, "the lower loop's counter is kept");
    }

    [Fact]
    public void An_outlined_ones_short_flag_is_filled_with_its_stem_and_an_outlined_zeros_counter_kept()
    {
        // An outlined 1: the stem as a thin line round a 21 x 81 stroke, and a flag drawn the same way to its left, 21 x 17:
        // the flag's inside is as deep as the stem's but not long against its depth, so it is no channel of its own.
        var one = new GrayImage(Gray(100, 100, (x, y) =>
            (x is 40 or 60 && y is >= 10 and <= 90) || (y is 10 or 90 && x is >= 40 and <= 60)
            || (x == 20 && y is >= 10 and <= 26) || (y is 10 or 26 && x is >= 20 and <= 40) ? 1f : 0f), 100, 100);
        var filled = StrokeWidth.ThickenThin(one);
        int pad = (filled.Width - 100) / 2;
        for (int x = 21; x < 40; x++)
        {
            Assert.True(filled[x + pad, 18 + pad] > 0.5f, $"the flag's inside at x = {x} is filled");
        }
        Assert.True(filled[50 + pad, 50 + pad] > 0.5f, "the stem's inside is filled");
        Assert.True(filled[30 + pad, 50 + pad] < 0.5f, "the paper under the flag stays paper");

        // An outlined 0: two box outlines with a 19 px channel between them round a 19 x 39 counter, as shallow as the
        // flag's inside but two outlines and the channel from the paper outside.
        var zero = new GrayImage(Gray(100, 100, (x, y) =>
            (x is 20 or 80 && y is >= 10 and <= 90) || (y is 10 or 90 && x is >= 20 and <= 80)
            || (x is 40 or 60 && y is >= 30 and <= 70) || (y is 30 or 70 && x is >= 40 and <= 60) ? 1f : 0f), 100, 100);
        var zeroFilled = StrokeWidth.ThickenThin(zero);
        int zeroPad = (zeroFilled.Width - 100) / 2;
        Assert.True(zeroFilled[30 + zeroPad, 50 + zeroPad] > 0.5f, "the ring's inside is filled");
        Assert.True(zeroFilled[50 + zeroPad, 50 + zeroPad] < 0.5f, "the counter stays paper");
    }

    [Fact]
    public void A_thin_pens_small_loop_that_thickening_would_close_is_kept_open_as_drawn()
    {
        // An 8 of a thin pen (1.6 px) in a 40 x 100 crop: its strokes are thickened by about 5 px, which would fill the
        // upper loop (8 px across) and leave the lower one (30 px) open.
        var eight = Gray(40, 100, (x, y) =>
            Math.Abs(Math.Sqrt(((x - 20) * (x - 20)) + ((y - 20) * (y - 20))) - 4) < 0.8 || Math.Abs(Math.Sqrt(((x - 20) * (x - 20)) + ((y - 60) * (y - 60))) - 15) < 0.8 ? 1f : 0f);
        var image = new GrayImage(eight, 40, 100);
        var (width, _) = StrokeWidth.Measure(image);
        int radius = (int)MathF.Round(((0.11f * 100) - width) / 2f);
        var dilated = StrokeWidth.Dilate(image, radius);
        Assert.True(dilated[20 + radius, 20 + radius] > 0.5f, "the dilation alone fills the upper loop");

        var thick = StrokeWidth.ThickenThin(image);
        int pad = (thick.Width - 40) / 2;
        Assert.Equal(radius, pad);
        for (int y = 18; y <= 22; y++)
        {
            Assert.Equal(eight[(y * 40) + 20], thick[20 + pad, y + pad]);
        }
        Assert.True(thick[20 + pad, 60 + pad] < 0.5f, "the lower loop stays open");
        Assert.True(thick.Pixels.Count(p => p > 0.5f) > 3 * eight.Count(p => p > 0.5f), "the strokes are thickened");
        Assert.True(thick[20 + pad, 15 + pad] > 0.5f && thick[20 + pad, 25 + pad] > 0.5f, "the ink round the upper loop is thickened");
    }

    [Theory]
    [InlineData(1, 23, 17)]
    [InlineData(3, 3, 40)]
    [InlineData(5, 61, 9)]
    public void Erosion_takes_the_minimum_of_each_window_with_no_ink_beyond_the_image(int radius, int w, int h)
    {
        var random = new Random(radius);
        var source = Enumerable.Range(0, w * h).Select(_ => random.NextDouble() < 0.2 ? 0f : (float)random.NextDouble()).ToArray();
        var eroded = StrokeWidth.Erode(new GrayImage(source, w, h), radius);
        Assert.Equal((w, h), (eroded.Width, eroded.Height));
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // 1 - (1 - v) may round.
                Assert.Equal(WindowExtreme(source, w, h, x, y, radius, maximum: false), eroded.Pixels[(y * w) + x], 1e-6f);
            }
        }
    }

    [Theory]
    [InlineData(1, 23, 17)]
    [InlineData(2, 23, 17)]
    [InlineData(3, 3, 40)]
    [InlineData(4, 61, 5)]
    [InlineData(7, 23, 17)]
    public void Dilation_takes_the_maximum_of_each_window_with_no_ink_beyond_the_image(int radius, int w, int h)
    {
        var random = new Random(radius);
        var source = Enumerable.Range(0, w * h).Select(_ => random.NextDouble() < 0.7 ? 0f : (float)random.NextDouble()).ToArray();
        var dilated = StrokeWidth.Dilate(new GrayImage(source, w, h), radius);
        int pw = w + (2 * radius), ph = h + (2 * radius);
        Assert.Equal((pw, ph), (dilated.Width, dilated.Height));
        for (int y = 0; y < ph; y++)
        {
            for (int x = 0; x < pw; x++)
            {
                // Output (x, y) is centred on source (x - radius, y - radius).
                float expected = WindowExtreme(source, w, h, x - radius, y - radius, radius, maximum: true);
                Assert.Equal(expected, dilated.Pixels[(y * pw) + x]);
            }
        }
    }

    [Fact]
    public void Longer_side_becomes_20_keeping_aspect()
    {
        var v = Gray(50, 100, (x, y) => 1f);
        var scaled = BicubicResampler.ScaleToBox(new GrayImage(v, 50, 100), 20);
        Assert.Equal((10, 20), (scaled.Width, scaled.Height));
        Assert.Equal(1f, scaled.Pixels.Max(), 3);
    }

    [Fact]
    public void Centre_of_mass_lands_on_the_centre()
    {
        var v = Gray(10, 20, (x, y) => 1f);
        var digit = MassCentring.Centre(new GrayImage(v, 10, 20));
        double mass = digit.Sum(), cx = 0, cy = 0;
        for (int i = 0; i < digit.Length; i++)
        {
            cx += digit[i] * ((i % 28) + 0.5);
            cy += digit[i] * ((i / 28) + 0.5);
        }
        Assert.Equal(14, cx / mass, 1);
        Assert.Equal(14, cy / mass, 1);
    }

    [Fact]
    public void Whole_pipeline_gives_mnist_like_values()
    {
        var sample = RealWorldDigits.Generate(1).First(s => s.Style == RealWorldDigits.Style.InkOnPaper && s.Digit == 7);
        var digit = new DigitImagePreprocessor().Process(sample.Encoded);
        var pixels = digit.Pixels.ToArray();
        Assert.Equal(784, pixels.Length);
        Assert.All(pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, pixels.Max(), 3);
        Assert.True(pixels.Take(28 * 3).All(p => p == 0), "the top rows are background");
        using var image = digit.ToImage();
        Assert.Equal(28, image.Width);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(0)]
    [InlineData(128)]
    public void Blank_images_are_refused_not_guessed(byte level)
    {
        using var image = new Image<Rgba32>(64, 64, new Rgba32(level, level, level));
        var ex = Assert.Throws<DigitImageException>(() => new DigitImagePreprocessor().Process(image));
        Assert.Equal(DigitImageError.NoDigit, ex.Error);
        Assert.Contains("no digit", ex.Message);
    }

    [Theory]
    [InlineData(107, 120)]
    [InlineData(20, 20)]
    [InlineData(9, 31)]
    [InlineData(300, 17)]
    [InlineData(3, 5)]
    [InlineData(64, 64)]
    public void Scaling_gives_the_scalar_resamplers_output_to_the_bit(int w, int h)
    {
        // The lines computed side by side in vectors must sum each output in the scalar order: the embedded model's
        // training crops depend on every bit.
        var random = new Random(w * h);
        var v = Gray(w, h, (x, y) => random.NextDouble() < 0.3 ? 0f : (float)random.NextDouble());
        var (ours, sw, sh) = BicubicResampler.ScaleToBox(new GrayImage(v, w, h), 20);
        var columns = ScalarResample(v, w, h, sw, alongRows: true);
        var scaled = ScalarResample(columns, sw, h, sh, alongRows: false);
        float max = scaled.Max();
        var expected = scaled.Select(p => Math.Clamp(p / max, 0f, 1f)).ToArray();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), ours.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>The resampler as it was before its lines went side by side in vectors: one line, one output, one tap at a time.</summary>
    private static float[] ScalarResample(float[] source, int w, int h, int size, bool alongRows)
    {
        int length = alongRows ? w : h, lines = alongRows ? h : w;
        int stepAlong = alongRows ? 1 : w, stepAcross = alongRows ? w : 1;
        int outAlong = alongRows ? 1 : w, outAcross = alongRows ? size : 1;
        var target = new float[alongRows ? size * h : w * size];
        float ratio = (float)length / size;
        float spread = Math.Max(1f, ratio);
        float radius = 2f * spread;
        var weights = new float[(int)MathF.Ceiling(radius * 2) + 2];
        for (int i = 0; i < size; i++)
        {
            float centre = ((i + 0.5f) * ratio) - 0.5f;
            int first = Math.Max(0, (int)MathF.Ceiling(centre - radius));
            int last = Math.Min(length - 1, (int)MathF.Floor(centre + radius));
            float total = 0;
            for (int k = 0; k <= last - first; k++)
            {
                float x = Math.Abs((first + k - centre) / spread);
                weights[k] = x < 1 ? ((1.5f * x) - 2.5f) * x * x + 1 : x < 2 ? (((-0.5f * x) + 2.5f) * x - 4) * x + 2 : 0;
                total += weights[k];
            }
            for (int line = 0; line < lines; line++)
            {
                int origin = (line * stepAcross) + (first * stepAlong);
                float sum = 0;
                for (int k = 0; k <= last - first; k++)
                {
                    sum += weights[k] * source[origin + (k * stepAlong)];
                }
                target[(line * outAcross) + (i * outAlong)] = sum / total;
            }
        }
        return target;
    }

    [Fact]
    public void Scaling_matches_imagesharps_bicubic_resize()
    {
        // A blurred random blob, like a cropped digit: 107 x 120 to 18 x 20, as in the benchmark's PNG.
        var random = new Random(7);
        int w = 107, h = 120;
        var v = Gray(w, h, (x, y) => Math.Clamp((float)(Math.Sin(x * 0.11) * Math.Cos(y * 0.07)) + ((float)random.NextDouble() * 0.2f), 0f, 1f));
        var scaled = BicubicResampler.ScaleToBox(new GrayImage(v, w, h), 20);
        var (ours, sw, sh) = scaled;

        using var image = Image.LoadPixelData<L16>(v.Select(p => new L16((ushort)(p * 65535))).ToArray(), w, h);
        image.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(sw, sh), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Bicubic }));
        var pixels = new L16[sw * sh];
        image.CopyPixelDataTo(pixels);
        float max = pixels.Max(p => p.PackedValue) / 65535f;
        var theirs = pixels.Select(p => p.PackedValue / 65535f / max).ToArray();

        double worst = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 0.03, $"largest difference from ImageSharp {worst:F4}");
    }
}
