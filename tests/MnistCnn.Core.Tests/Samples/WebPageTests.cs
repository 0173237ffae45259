using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace MnistCnn.Core.Tests;

/// <summary>The web sample, started for real on a free port of 127.0.0.1.</summary>
public sealed class WebSample : IDisposable
{
    private readonly Process _process;

    public WebSample()
    {
        string dll = Built.Dll("samples", "MnistCnn.Web");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("web sample not built", dll);
        }
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(BaseUri.ToString());
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (client.GetAsync(BaseUri).Result.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (AggregateException) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !_process.HasExited)
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60) || _process.HasExited)
            {
                throw new InvalidOperationException($"the web sample did not start on {BaseUri}");
            }
            Thread.Sleep(200);
        }
    }

    public Uri BaseUri { get; }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}

public sealed class WebApiTests(WebSample web) : IClassFixture<WebSample>
{
    private static readonly HttpClient Client = new();

    private async Task<(HttpStatusCode Status, JsonElement Body, string? Type)> Post(HttpContent content)
    {
        using var response = await Client.PostAsync(new Uri(web.BaseUri, "api/predict"), content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response.Content.Headers.ContentType?.MediaType);
    }

    private static ByteArrayContent Body(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    [Fact]
    public async Task Png_and_jpeg_uploads_are_recognised()
    {
        foreach (var sample in RealWorldDigits.Generate(1).Where(s => s.Digit is 2 or 5).Where(s => s.Style is RealWorldDigits.Style.InkOnPaper or RealWorldDigits.Style.JpegPhoto))
        {
            var (status, body, _) = await Post(Body(sample.Encoded, sample.Extension == ".png" ? "image/png" : "image/jpeg"));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(sample.Digit, body.GetProperty("digit").GetInt32());
            Assert.Equal(10, body.GetProperty("probabilities").GetArrayLength());
            Assert.InRange(body.GetProperty("confidence").GetSingle(), 0f, 1f);
            Assert.StartsWith("data:image/png;base64,", body.GetProperty("seen").GetString());
        }
    }

    [Fact]
    public async Task Multipart_form_upload_works()
    {
        var sample = RealWorldDigits.Generate(1).First(s => s.Digit == 8 && s.Extension == ".png");
        using var form = new MultipartFormDataContent { { Body(sample.Encoded, "image/png"), "image", "eight.png" } };
        var (status, body, _) = await Post(form);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(8, body.GetProperty("digit").GetInt32());
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("text")]
    [InlineData("oversized")]
    [InlineData("way-oversized")]
    [InlineData("blank")]
    public async Task Bad_uploads_get_a_400_problem_never_a_500(string kind)
    {
        byte[] bytes = kind switch
        {
            "empty" => [],
            "text" => "this is not an image"u8.ToArray(),
            "oversized" => new byte[6 << 20],
            "way-oversized" => new byte[12 << 20],
            _ => BlankPng(),
        };
        var (status, body, type) = await Post(Body(bytes, "image/png"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("detail").GetString()));
    }

    private static byte[] BlankPng()
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(100, 100, new SixLabors.ImageSharp.PixelFormats.L8(255));
        using var ms = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, ms);
        return ms.ToArray();
    }
}

/// <summary>Real Chromium (Debian's, driven by Playwright) drawing digits on the page with the mouse.</summary>
public sealed class WebPageTests(WebSample web, ITestOutputHelper output) : IClassFixture<WebSample>
{
    private static readonly string Screenshots = Path.Combine(Repo.Root, "tests", "MnistCnn.Core.Tests", "TestResults", "screenshots");

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail($"CI must install Debian's chromium ({chromium} is missing).");
            }
            throw new Exception($"$XunitDynamicSkip${chromium} is missing: apt-get install chromium to run the browser tests.");
        }
        return await Launch(playwright);
    }

    private static async Task<IBrowser> Launch(IPlaywright playwright) => await playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });

    private static async Task DrawAsync(IPage page, int digit)
    {
        var box = (await page.Locator("#pad").BoundingBoxAsync())!;
        double size = box.Width * 0.62, left = box.X + (box.Width * 0.24), top = box.Y + (box.Height * 0.19);
        foreach (var stroke in RealWorldDigits.StrokesOf(digit))
        {
            var points = stroke.Select(p => (X: left + (p.X * size * 0.7), Y: top + (p.Y * size))).ToArray();
            await page.Mouse.MoveAsync((float)points[0].X, (float)points[0].Y);
            await page.Mouse.DownAsync();
            foreach (var (x, y) in points.Skip(1))
            {
                await page.Mouse.MoveAsync((float)x, (float)y, new() { Steps = 2 });
            }
            await page.Mouse.UpAsync();
        }
    }

    [Fact]
    public async Task A_person_draws_each_digit_and_the_page_shows_it()
    {
        Directory.CreateDirectory(Screenshots);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 900, Height = 700 } });
        await page.GotoAsync(web.BaseUri.ToString());
        await Assertions.Expect(page.Locator("#digit")).ToHaveTextAsync("?");

        var seen = new List<string>();
        for (int digit = 0; digit <= 9; digit++)
        {
            await page.ClickAsync("#clear");
            await DrawAsync(page, digit);
            // The page marks which version of the drawing its result is for: wait until it shows the finished drawing.
            await page.WaitForFunctionAsync("() => document.body.dataset.shown === document.body.dataset.drawn");
            await Assertions.Expect(page.Locator("#seen")).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png"));
            string shown = await page.Locator("#digit").InnerTextAsync();
            seen.Add($"drew {digit}, page shows {shown} ({await page.Locator("#confidence").InnerTextAsync()})");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"drawn-{digit}.png") });
            Assert.Equal(digit.ToString(), shown);
        }
        output.WriteLine(string.Join("\n", seen));
    }

    [Fact]
    public async Task A_bad_upload_shows_a_clear_error_and_the_page_fits_a_phone()
    {
        Directory.CreateDirectory(Screenshots);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 390, Height = 844 }, HasTouch = true, IsMobile = true });
        await page.GotoAsync(web.BaseUri.ToString());

        var pad = (await page.Locator("#pad").BoundingBoxAsync())!;
        Assert.True(pad.X >= 0 && pad.X + pad.Width <= 390, $"the drawing pad spans {pad.X}..{pad.X + pad.Width} on a 390 px screen");
        int scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= 390, $"the page scrolls sideways ({scrollWidth} px)");

        await page.SetInputFilesAsync("#upload", new FilePayload { Name = "notes.png", MimeType = "image/png", Buffer = "this is a text file, not a picture"u8.ToArray() });
        await Assertions.Expect(page.Locator("#error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("not a PNG, JPEG, BMP or GIF");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "phone-bad-upload.png"), FullPage = true });

        var sample = RealWorldDigits.Generate(1).First(s => s.Digit == 4 && s.Style == RealWorldDigits.Style.JpegPhoto);
        await page.SetInputFilesAsync("#upload", new FilePayload { Name = "four.jpg", MimeType = "image/jpeg", Buffer = sample.Encoded });
        await Assertions.Expect(page.Locator("#digit")).ToHaveTextAsync("4");
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "phone-upload-4.png"), FullPage = true });
    }
}
