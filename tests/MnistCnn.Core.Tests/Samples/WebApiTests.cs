using System.Net;
using System.Text.Json;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class WebApiTests(WebSample web, ITestOutputHelper output) : IClassFixture<WebSample>
{
    private Task<(HttpStatusCode Status, JsonElement Body, string? Type)> Post(HttpContent content) => PredictApi.Post(web, content);

    private static ByteArrayContent Body(byte[] bytes, string type) => PredictApi.Body(bytes, type);

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

    [Fact]
    public async Task A_number_is_read_with_each_digit_its_confidence_and_its_box()
    {
        var (png, starts) = PredictApi.NumberPng(4, 2, 1, 7);
        var (status, body, type) = await PredictApi.Post(web, Body(png, "image/png"), "api/read");
        output.WriteLine(body.ToString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", type);
        Assert.Equal("4217", body.GetProperty("number").GetString());
        Assert.InRange(body.GetProperty("confidence").GetSingle(), 0f, 1f);
        var digits = body.GetProperty("digits").EnumerateArray().ToList();
        Assert.Equal([4, 2, 1, 7], digits.Select(d => d.GetProperty("digit").GetInt32()));
        for (int k = 0; k < digits.Count; k++)
        {
            Assert.InRange(digits[k].GetProperty("confidence").GetSingle(), 0f, 1f);
            var box = digits[k].GetProperty("box");
            int x = box.GetProperty("x").GetInt32(), width = box.GetProperty("width").GetInt32();
            Assert.True(box.GetProperty("height").GetInt32() > 0 && width > 0);
            Assert.InRange(x + (width / 2), starts[k], k + 1 < starts.Length ? starts[k + 1] : int.MaxValue);
        }
    }

    [Fact]
    public async Task A_number_of_known_length_is_read_to_that_length_and_a_bad_count_is_a_400()
    {
        var (png, _) = PredictApi.NumberPng(4, 2, 1, 7);
        var (status, body, _) = await PredictApi.Post(web, Body(png, "image/png"), "api/read?digits=4");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("4217", body.GetProperty("number").GetString());

        var (one, _) = PredictApi.NumberPng(1);
        (status, body, _) = await PredictApi.Post(web, Body(one, "image/png"), "api/read?digits=4");
        output.WriteLine(body.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no reading of 4 digits", body.GetProperty("detail").GetString());

        foreach (string bad in new[] { "0", "21", "four", "-1" })
        {
            (status, body, _) = await PredictApi.Post(web, Body(png, "image/png"), $"api/read?digits={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("Bad digit count", body.GetProperty("title").GetString());
        }
    }

    [Theory]
    [InlineData("empty", "api/predict")]
    [InlineData("text", "api/predict")]
    [InlineData("oversized", "api/predict")]
    [InlineData("way-oversized", "api/predict")]
    [InlineData("blank", "api/predict")]
    [InlineData("empty", "api/read")]
    [InlineData("text", "api/read")]
    [InlineData("oversized", "api/read")]
    [InlineData("blank", "api/read")]
    public async Task Bad_uploads_get_a_400_problem_never_a_500(string kind, string path)
    {
        byte[] bytes = kind switch
        {
            "empty" => [],
            "text" => "this is not an image"u8.ToArray(),
            "oversized" => new byte[6 << 20],
            "way-oversized" => new byte[12 << 20],
            _ => PredictApi.BlankPng(),
        };
        var (status, body, type) = await PredictApi.Post(web, Body(bytes, "image/png"), path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task The_health_endpoint_reports_healthy()
    {
        Assert.Equal(HttpStatusCode.OK, await PredictApi.Get(web, "health"));
    }

    [Fact]
    public Task Sixteen_concurrent_clients_get_200_for_good_uploads_and_400_for_bad_ones_with_bounded_memory() =>
        PredictApi.SixteenConcurrentClients(web, output);
}
