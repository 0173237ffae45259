using Microsoft.Playwright;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>Real Chromium (Debian's, driven by Playwright) drawing digits on the page with the mouse.</summary>
[Trait(TestCategory.Name, TestCategory.Browser)]
public sealed class WebPageTests(WebSample web, ITestOutputHelper output) : IClassFixture<WebSample>
{
    private static readonly string Screenshots = Path.Combine(Repo.Root, "tests", "MnistCnn.Core.Tests", "TestResults", "screenshots");

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Requires.Chromium();
        return await Launch(playwright);
    }

    private static async Task<IBrowser> Launch(IPlaywright playwright) => await playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Requires.ChromiumPath,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });

    private static async Task DrawAsync(IPage page, int digit)
    {
        var box = (await page.Locator("#pad").BoundingBoxAsync())!;
        await StrokeAsync(page, digit, box.X + (box.Width * 0.24), box.Y + (box.Height * 0.19), box.Width * 0.62);
    }

    /// <summary>Draws <paramref name="digit"/>'s strokes with the mouse in a square of <paramref name="size"/> at (<paramref name="left"/>, <paramref name="top"/>).</summary>
    private static async Task StrokeAsync(IPage page, int digit, double left, double top, double size)
    {
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
            Assert.Equal(digit.ToString(System.Globalization.CultureInfo.InvariantCulture), shown);
        }
        output.WriteLine(string.Join("\n", seen));
    }

    [Fact]
    public async Task A_person_writes_a_number_and_the_page_shows_it_with_a_box_per_digit()
    {
        Directory.CreateDirectory(Screenshots);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 900, Height = 700 } });
        await page.GotoAsync(web.BaseUri.ToString());
        await page.ClickAsync("#mode-number");
        await Assertions.Expect(page.Locator("#line")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#pad")).ToBeHiddenAsync();

        // "42" written with the mouse across the wide pad, each digit about two thirds of its height.
        var box = (await page.Locator("#line").BoundingBoxAsync())!;
        double size = box.Height * 0.62, top = box.Y + (box.Height * 0.19);
        await StrokeAsync(page, 4, box.X + (box.Width * 0.25), top, size);
        await StrokeAsync(page, 2, box.X + (box.Width * 0.25) + (size * 0.9), top, size);
        await page.WaitForFunctionAsync("() => document.body.dataset.shown === document.body.dataset.drawn");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "written-42.png") });

        string number = await page.Locator("#number").InnerTextAsync();
        output.WriteLine($"wrote 42, page shows {number} ({await page.Locator("#number-confidence").InnerTextAsync()}); digits: {await page.Locator("#found").InnerTextAsync()}");
        Assert.Equal("42", number);
        await Assertions.Expect(page.Locator("#found li")).ToHaveCountAsync(2);

        // Told the number has two digits, the page asks for a reading of two, and still shows 42.
        var request = page.WaitForRequestAsync(r => r.Url.EndsWith("/api/read?digits=2", StringComparison.Ordinal));
        await page.SelectOptionAsync("#digits", "2");
        await request;
        await page.WaitForFunctionAsync("() => document.body.dataset.shown === document.body.dataset.drawn");
        Assert.Equal("42", await page.Locator("#number").InnerTextAsync());
        await Assertions.Expect(page.Locator("#found li")).ToHaveCountAsync(2);
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
