using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MnistCnn.Core.Hosting;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary><c>AddDigitClassifier</c> in a real generic host: options, validation at start, eager load, health, metrics.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class DigitClassifierRegistrationTests
{
    private static byte[] Digit(int digit) => RealWorldDigits.Generate(1).First(s => s.Digit == digit && s.Extension == ".png").Encoded;

    [Fact]
    public async Task The_default_registration_serves_the_embedded_model_on_onnx_runtime_loaded_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDigitClassifier();
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        var classifier = host.Services.GetRequiredService<IDigitClassifier>();
        Assert.IsType<OnnxDigitClassifier>(Assert.IsType<InstrumentedDigitClassifier>(classifier).Inner);
        Assert.Same(classifier, host.Services.GetRequiredService<IDigitClassifier>());
        await using var upload = new MemoryStream(Digit(6));
        Assert.Equal(6, (await classifier.PredictAsync(upload, TestContext.Current.CancellationToken)).Digit);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_registration_also_serves_a_number_reader_over_the_same_classifier()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDigitClassifier();
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        var reader = host.Services.GetRequiredService<DigitReader>();
        Assert.Same(reader, host.Services.GetRequiredService<DigitReader>());
        Assert.Same(host.Services.GetRequiredService<IDigitClassifier>(), reader.Classifier);

        // Two of the pen-on-paper digits side by side: one upload, one number.
        var (png, starts) = PredictApi.NumberPng(4, 2);
        await using var upload = new MemoryStream(png);

        var reading = await reader.ReadAsync(upload, TestContext.Current.CancellationToken);
        Assert.Equal("42", reading.Text);
        Assert.True(reading.Digits[0].Bounds.Right <= starts[1] + 2 && reading.Digits[1].Bounds.Left >= starts[1] - 2, string.Join(", ", reading.Digits));
        // Through the instrumented classifier, the reader still reaches the backend's pair model for wide candidates.
        Assert.Contains(reader.Analyse(png, "test").Candidates, c => c.Pair is not null);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_naming_each_problem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDigitClassifier(options =>
        {
            options.Device = Runtime.ComputeDevice.Cuda;
            options.ModelPath = "/nowhere/model.onnx";
            options.IntraOpThreads = -1;
        });
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(ex.Failures, f => f.Contains("Device Cuda needs Backend Torch", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("ModelPath '/nowhere/model.onnx' does not exist", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("IntraOpThreads", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Options_bind_from_a_configuration_section_and_choose_the_torch_backend()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DigitClassifier:Backend"] = "Torch",
            ["DigitClassifier:Device"] = "Cpu",
            ["DigitClassifier:Decoding:MaxPixels"] = "1000000",
        });
        builder.Services.AddDigitClassifier(builder.Configuration.GetSection("DigitClassifier"));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        var options = host.Services.GetRequiredService<IOptions<DigitClassifierOptions>>().Value;
        Assert.Equal(DigitClassifierBackend.Torch, options.Backend);
        Assert.Equal(1_000_000, options.Decoding.MaxPixels);
        var classifier = host.Services.GetRequiredService<IDigitClassifier>();
        Assert.IsType<DigitClassifier>(Assert.IsType<InstrumentedDigitClassifier>(classifier).Inner);
        Assert.Equal(1_000_000, classifier.Preprocessor.Options.MaxPixels);
        Assert.Equal(3, classifier.Predict(Digit(3)).Digit);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_health_check_is_healthy_when_the_canary_digit_is_recognised()
    {
        var services = new ServiceCollection().AddLogging().AddDigitClassifier();
        services.AddHealthChecks().AddDigitClassifier();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        var entry = Assert.Single(report.Entries);
        Assert.Equal("digit-classifier", entry.Key);
        Assert.True(entry.Value.Status == HealthStatus.Healthy, entry.Value.Description);
    }

    [Fact]
    public async Task The_meter_counts_predictions_and_rejections_by_reason_and_times_each_call_but_not_health_probes()
    {
        var counts = new Dictionary<string, long>();
        int durations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == DigitClassifierMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name + string.Concat(tags.ToArray().Select(t => $"/{t.Value}"));
            lock (counts)
            {
                counts[key] = counts.GetValueOrDefault(key) + value;
            }
        });
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref durations));
        listener.Start();

        var services = new ServiceCollection().AddLogging().AddDigitClassifier();
        services.AddHealthChecks().AddDigitClassifier();
        await using var provider = services.BuildServiceProvider();
        var classifier = provider.GetRequiredService<IDigitClassifier>();
        for (int probe = 0; probe < 3; probe++)
        {
            var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
            Assert.Equal(HealthStatus.Healthy, report.Status);
        }
        classifier.Predict(Digit(2));
        classifier.PredictBatch([classifier.Preprocessor.Process(Digit(5)), classifier.Preprocessor.Process(Digit(8))]);
        using var blank = new Image<L8>(40, 40, new L8(255));
        Assert.Throws<DigitImageException>(() => classifier.Predict(blank));

        Assert.Equal(3, counts["mnistcnn.predictions"]);
        Assert.Equal(1, counts["mnistcnn.rejected_images/NoDigit"]);
        Assert.Equal(2, durations);
    }
}
