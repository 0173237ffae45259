using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>Calls the web sample's <c>POST /api/predict</c> and <c>POST /api/read</c> as a client would.</summary>
internal static class PredictApi
{
    private static readonly HttpClient Client = new();

    public static async Task<(HttpStatusCode Status, JsonElement Body, string? Type)> Post(WebSample web, HttpContent content, string path = "api/predict")
    {
        using var response = await Client.PostAsync(new Uri(web.BaseUri, path), content, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response.Content.Headers.ContentType?.MediaType);
    }

    public static async Task<HttpStatusCode> Get(WebSample web, string path)
    {
        using var response = await Client.GetAsync(new Uri(web.BaseUri, path), TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    public static ByteArrayContent Body(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    /// <summary>The pen-on-paper images of <paramref name="digits"/> side by side, as one PNG, and where each digit's image starts.</summary>
    public static (byte[] Png, int[] Starts) NumberPng(params int[] digits)
    {
        var images = digits.Select(d => SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(
            RealWorldDigits.Generate(1).First(s => s.Digit == d && s.Style == RealWorldDigits.Style.InkOnPaper).Encoded)).ToList();
        try
        {
            var starts = new int[images.Count];
            for (int k = 1; k < images.Count; k++)
            {
                starts[k] = starts[k - 1] + images[k - 1].Width;
            }
            using var line = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(
                starts[^1] + images[^1].Width, images.Max(i => i.Height), new SixLabors.ImageSharp.PixelFormats.Rgba32(255, 255, 255));
            for (int k = 0; k < images.Count; k++)
            {
                int at = k;
                SixLabors.ImageSharp.Processing.ProcessingExtensions.Mutate(line, c => SixLabors.ImageSharp.Processing.DrawImageExtensions.DrawImage(c, images[at], new SixLabors.ImageSharp.Point(starts[at], 0), 1f));
            }
            using var ms = new MemoryStream();
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(line, ms);
            return (ms.ToArray(), starts);
        }
        finally
        {
            images.ForEach(i => i.Dispose());
        }
    }

    public static byte[] BlankPng()
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(100, 100, new SixLabors.ImageSharp.PixelFormats.L8(255));
        using var ms = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, ms);
        return ms.ToArray();
    }

    /// <summary>
    /// 16 clients, each sending 12 uploads (good PNGs and JPEGs, blank images, text, 6 MB of zeros) at once: every good
    /// one must get 200 with its digit, every bad one 400, and the server's peak memory must stay bounded.
    /// </summary>
    public static async Task SixteenConcurrentClients(WebSample web, ITestOutputHelper output)
    {
        var good = RealWorldDigits.Generate(1).Where(s => s.Style is RealWorldDigits.Style.InkOnPaper or RealWorldDigits.Style.JpegPhoto).ToList();
        byte[][] bad = [BlankPng(), "not an image"u8.ToArray(), new byte[6 << 20]];
        var before = web.Memory();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(client => Task.Run(async () =>
        {
            for (int k = 0; k < 12; k++)
            {
                if ((client + k) % 4 == 3)
                {
                    var (status, _, _) = await Post(web, Body(bad[(client + k) % bad.Length], "image/png"));
                    if (status != HttpStatusCode.BadRequest)
                    {
                        failures.Add($"client {client} request {k}: a bad upload got {status}");
                    }
                }
                else
                {
                    var sample = good[(client * 12 + k) % good.Count];
                    var (status, body, _) = await Post(web, Body(sample.Encoded, sample.Extension == ".png" ? "image/png" : "image/jpeg"));
                    if (status != HttpStatusCode.OK)
                    {
                        failures.Add($"client {client} request {k}: a good upload got {status}");
                    }
                    else if (body.GetProperty("digit").GetInt32() != sample.Digit && sample.Style == RealWorldDigits.Style.InkOnPaper)
                    {
                        failures.Add($"client {client} request {k}: {sample.Digit} was read as {body.GetProperty("digit").GetInt32()}");
                    }
                }
            }
        })));
        var after = web.Memory();
        output.WriteLine($"resident before {before.Resident / 1e6:F0} MB, after {after.Resident / 1e6:F0} MB, peak {after.Peak / 1e6:F0} MB");
        Assert.Empty(failures);
        Assert.True(after.Peak - before.Resident < 400_000_000, $"peak {after.Peak / 1e6:F0} MB from {before.Resident / 1e6:F0} MB");
    }
}
