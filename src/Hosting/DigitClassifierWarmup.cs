using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MnistCnn.Core.Inference;

namespace MnistCnn.Core.Hosting;

/// <summary>Loads the model when the host starts, so a bad model file stops the app at once and the first request is not slow.</summary>
internal sealed class DigitClassifierWarmup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<IDigitClassifier>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
