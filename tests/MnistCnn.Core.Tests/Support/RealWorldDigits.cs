using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistCnn.Core.Tests;

/// <summary>
/// Digits that are not MNIST: pen strokes for each digit, varied (jitter, slant, rotation, thickness) and rendered with an
/// antialiased thick-line rasteriser into realistic settings: ink on paper, chalk on a board, transparent canvas exports,
/// JPEG photos of grey paper with noise, small off-centre digits in a large canvas, and outlined lettering (a thin line
/// drawn round a bold stroke, left hollow).
/// </summary>
internal static class RealWorldDigits
{
    private static readonly (double X, double Y)[][][] Strokes = BuildStrokes();

    /// <summary>The pen strokes of <paramref name="digit"/> in a unit box (x right, y down).</summary>
    public static IReadOnlyList<(double X, double Y)[]> StrokesOf(int digit) => Strokes[digit];

    public enum Style { InkOnPaper, ChalkOnBoard, TransparentCanvas, JpegPhoto, SmallOffCentre, ThinPen, Outlined }

    public sealed record Sample(int Digit, Style Style, string Extension, byte[] Encoded);

    public static IEnumerable<Sample> Generate(int variantsPerStyle, int seed = 11)
    {
        var rnd = new Random(seed);
        foreach (Style style in Enum.GetValues<Style>())
        {
            for (int v = 0; v < variantsPerStyle; v++)
            {
                for (int digit = 0; digit < 10; digit++)
                {
                    yield return Render(digit, style, rnd);
                }
            }
        }
    }

    private static Sample Render(int digit, Style style, Random rnd)
    {
        (int w, int h, double boxH, double cx, double cy, double thickness) = style switch
        {
            Style.SmallOffCentre => (600, 400, 40 + (rnd.NextDouble() * 20), 80 + (rnd.NextDouble() * 440), 60 + (rnd.NextDouble() * 280), 3.5),
            Style.ThinPen => (300, 300, 200, 150, 150, 2.0),
            Style.Outlined => (200, 200, 140, 100, 100, 18 + (rnd.NextDouble() * 8)),
            _ => (200, 200, 140, 100 + (rnd.NextDouble() * 20) - 10, 100 + (rnd.NextDouble() * 20) - 10, 10 + (rnd.NextDouble() * 8)),
        };
        double outline = style == Style.Outlined ? 1.5 + rnd.NextDouble() : 0;
        double slant = (rnd.NextDouble() - 0.5) * 0.4;
        double angle = (rnd.NextDouble() - 0.5) * 0.2;
        double boxW = boxH * (0.55 + (rnd.NextDouble() * 0.2));
        var segments = new List<(double X1, double Y1, double X2, double Y2)>();
        foreach (var stroke in Strokes[digit])
        {
            var pts = stroke.Select(p =>
            {
                double x = p.X + ((rnd.NextDouble() - 0.5) * 0.04) - 0.5;
                double y = p.Y + ((rnd.NextDouble() - 0.5) * 0.04) - 0.5;
                x -= slant * y;
                double px = (x * boxW * Math.Cos(angle)) - (y * boxH * Math.Sin(angle));
                double py = (x * boxW * Math.Sin(angle)) + (y * boxH * Math.Cos(angle));
                return (X: cx + px, Y: cy + py);
            }).ToArray();
            for (int i = 0; i + 1 < pts.Length; i++)
            {
                segments.Add((pts[i].X, pts[i].Y, pts[i + 1].X, pts[i + 1].Y));
            }
        }

        var (paper, ink) = style switch
        {
            Style.ChalkOnBoard => (new Rgba32(20, 40, 30), new Rgba32(235, 235, 225)),
            Style.TransparentCanvas => (new Rgba32(0, 0, 0, 0), new Rgba32(20, 20, 20)),
            Style.JpegPhoto => (new Rgba32(225, 222, 210), new Rgba32(30, 40, 140)),
            _ => (new Rgba32(255, 255, 255), new Rgba32(0, 0, 0)),
        };
        using var image = new Image<Rgba32>(w, h);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double d = double.MaxValue;
                foreach (var s in segments)
                {
                    d = Math.Min(d, Distance(x + 0.5, y + 0.5, s));
                }
                double cover = outline > 0
                    ? Math.Clamp((outline / 2) + 0.5 - Math.Abs(d - (thickness / 2)), 0, 1)
                    : Math.Clamp((thickness / 2) + 0.5 - d, 0, 1);
                var p = Blend(paper, ink, cover);
                if (style == Style.JpegPhoto)
                {
                    int noise = rnd.Next(-12, 13);
                    p = new Rgba32((byte)Math.Clamp(p.R + noise, 0, 255), (byte)Math.Clamp(p.G + noise, 0, 255), (byte)Math.Clamp(p.B + noise, 0, 255));
                }
                image[x, y] = p;
            }
        }
        using var ms = new MemoryStream();
        if (style == Style.JpegPhoto)
        {
            image.SaveAsJpeg(ms, new JpegEncoder { Quality = 70 });
            return new Sample(digit, style, ".jpg", ms.ToArray());
        }
        image.SaveAsPng(ms);
        return new Sample(digit, style, ".png", ms.ToArray());
    }

    private static Rgba32 Blend(Rgba32 paper, Rgba32 ink, double t) => new(
        (byte)Math.Round(paper.R + ((ink.R - paper.R) * t)),
        (byte)Math.Round(paper.G + ((ink.G - paper.G) * t)),
        (byte)Math.Round(paper.B + ((ink.B - paper.B) * t)),
        (byte)Math.Round(paper.A + ((ink.A - paper.A) * t)));

    private static double Distance(double px, double py, (double X1, double Y1, double X2, double Y2) s)
    {
        double dx = s.X2 - s.X1, dy = s.Y2 - s.Y1;
        double len2 = (dx * dx) + (dy * dy);
        double t = len2 == 0 ? 0 : Math.Clamp((((px - s.X1) * dx) + ((py - s.Y1) * dy)) / len2, 0, 1);
        double qx = s.X1 + (t * dx) - px, qy = s.Y1 + (t * dy) - py;
        return Math.Sqrt((qx * qx) + (qy * qy));
    }

    private static (double, double)[] Arc(double cx, double cy, double rx, double ry, double fromDeg, double toDeg, int steps = 24) =>
        Enumerable.Range(0, steps + 1).Select(i =>
        {
            double a = (fromDeg + ((toDeg - fromDeg) * i / steps)) * Math.PI / 180;
            return (cx + (rx * Math.Cos(a)), cy + (ry * Math.Sin(a)));
        }).ToArray();

    /// <summary>Pen strokes in a unit box (x right, y down; angles clockwise from 3 o'clock).</summary>
    private static (double X, double Y)[][][] BuildStrokes() =>
    [
        [Arc(0.5, 0.5, 0.42, 0.5, 0, 360, 40)],
        [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)]],
        [[.. Arc(0.5, 0.28, 0.38, 0.28, 190, 360 + 30), (0.1, 1.0), (0.92, 1.0)]],
        [Arc(0.48, 0.25, 0.38, 0.25, 200, 360 + 90), Arc(0.48, 0.74, 0.42, 0.26, 270, 360 + 150)],
        [[(0.72, 1.0), (0.72, 0.0), (0.08, 0.68), (0.95, 0.68)]],
        [[(0.88, 0.0), (0.2, 0.0), (0.14, 0.45)], Arc(0.47, 0.68, 0.4, 0.32, 220, 360 + 150)],
        [[(0.78, 0.02), (0.4, 0.25), (0.14, 0.65)], Arc(0.48, 0.72, 0.35, 0.28, 180, 540)],
        [[(0.05, 0.0), (0.95, 0.0), (0.38, 1.0)]],
        [Arc(0.5, 0.24, 0.3, 0.24, 0, 360), Arc(0.5, 0.73, 0.4, 0.27, 0, 360)],
        [Arc(0.48, 0.3, 0.36, 0.3, 0, 360), [(0.84, 0.3), (0.74, 1.0)]],
    ];
}
