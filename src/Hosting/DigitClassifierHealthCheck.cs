using Microsoft.Extensions.Diagnostics.HealthChecks;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistCnn.Core.Hosting;

/// <summary>
/// Healthy when the registered classifier recognises a canary image: a dark "1" drawn on white, as a person writes it.
/// The probe goes to the backend itself, past the metrics, so health checks are not counted as predictions.
/// </summary>
internal sealed class DigitClassifierHealthCheck(IDigitClassifier classifier) : IHealthCheck
{
    private const int CanaryDigit = 1;

    private readonly IDigitClassifier _backend = classifier is InstrumentedDigitClassifier instrumented ? instrumented.Inner : classifier;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var canary = DrawOne();
            var prediction = _backend.Predict(canary);
            return Task.FromResult(prediction.Digit == CanaryDigit
                ? HealthCheckResult.Healthy($"the canary {CanaryDigit} was recognised ({prediction.Confidence:P1})")
                : new HealthCheckResult(context.Registration.FailureStatus, $"the canary {CanaryDigit} was recognised as {prediction}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, "the classifier failed on the canary image", ex));
        }
    }

    private static Image<L8> DrawOne()
    {
        var image = new Image<L8>(64, 64, new L8(byte.MaxValue));
        for (int y = 10; y < 54; y++)
        {
            for (int x = 30; x < 35; x++)
            {
                image[x, y] = new L8(20);
            }
        }
        return image;
    }
}
