using System.Net;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>The web sample with <c>--backend torch</c>: the same API on TorchSharp.</summary>
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class WebApiTorchBackendTests(TorchWebSample web, ITestOutputHelper output) : IClassFixture<TorchWebSample>
{
    [Fact]
    public async Task A_png_upload_is_recognised_and_the_health_endpoint_is_healthy()
    {
        var sample = RealWorldDigits.Generate(1).First(s => s.Digit == 9 && s.Style == RealWorldDigits.Style.InkOnPaper);
        var (status, body, _) = await PredictApi.Post(web, PredictApi.Body(sample.Encoded, "image/png"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(9, body.GetProperty("digit").GetInt32());
        Assert.Equal(HttpStatusCode.OK, await PredictApi.Get(web, "health"));
    }

    [Fact]
    public Task Sixteen_concurrent_clients_get_200_for_good_uploads_and_400_for_bad_ones_with_bounded_memory() =>
        PredictApi.SixteenConcurrentClients(web, output);
}
