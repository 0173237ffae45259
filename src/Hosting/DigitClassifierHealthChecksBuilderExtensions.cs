using Microsoft.Extensions.Diagnostics.HealthChecks;
using MnistCnn.Core.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the digit classifier's health check.</summary>
public static class DigitClassifierHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that is healthy when the registered <see cref="MnistCnn.Core.Inference.IDigitClassifier"/>
    /// recognises a canary digit; otherwise it reports <paramref name="failureStatus"/> (default Unhealthy).
    /// </summary>
    public static IHealthChecksBuilder AddDigitClassifier(this IHealthChecksBuilder builder, string name = "digit-classifier", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.AddCheck<DigitClassifierHealthCheck>(name, failureStatus, tags ?? []);
    }
}
