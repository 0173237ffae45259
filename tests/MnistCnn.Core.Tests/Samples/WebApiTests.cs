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
            _ => PredictApi.BlankPng(),
        };
        var (status, body, type) = await Post(Body(bytes, "image/png"));
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
