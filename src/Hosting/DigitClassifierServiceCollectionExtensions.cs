using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MnistCnn.Core.Hosting;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers MnistCnn.Core's <see cref="IDigitClassifier"/> and <see cref="DigitReader"/> in an application's services (ASP.NET Core, worker, console host).</summary>
public static class DigitClassifierServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IDigitClassifier"/> as a thread-safe singleton built from <see cref="DigitClassifierOptions"/>
    /// (default: the embedded model on ONNX Runtime), and a <see cref="DigitReader"/> of whole numbers over it. The
    /// options are validated and the model loaded when the host starts; each call is counted in the <c>MnistCnn.Core</c> meter.
    /// </summary>
    public static IServiceCollection AddDigitClassifier(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddDigitClassifierCore(services.AddOptions<DigitClassifierOptions>());
    }

    /// <summary>Registers <see cref="IDigitClassifier"/> as <see cref="AddDigitClassifier(IServiceCollection)"/> does, with options set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddDigitClassifier(this IServiceCollection services, Action<DigitClassifierOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddDigitClassifierCore(services.AddOptions<DigitClassifierOptions>().Configure(configure));
    }

    /// <summary>Registers <see cref="IDigitClassifier"/> with options bound from <paramref name="configuration"/> (for example <c>builder.Configuration.GetSection("DigitClassifier")</c>).</summary>
    public static IServiceCollection AddDigitClassifier(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddDigitClassifierCore(services.AddOptions<DigitClassifierOptions>().Bind(configuration));
    }

    private static IServiceCollection AddDigitClassifierCore(this IServiceCollection services, OptionsBuilder<DigitClassifierOptions> options)
    {
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DigitClassifierOptions>, DigitClassifierOptionsValidator>());
        services.TryAddSingleton(provider => new DigitClassifierMetrics(provider.GetService<IMeterFactory>()));
        services.TryAddSingleton<IDigitClassifier>(provider =>
        {
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("MnistCnn.Core.Hosting.DigitClassifier") ?? NullLogger.Instance;
            var backend = DigitClassifierFactory.Create(provider.GetRequiredService<IOptions<DigitClassifierOptions>>().Value, logger);
            return new InstrumentedDigitClassifier(backend, provider.GetRequiredService<DigitClassifierMetrics>());
        });
        services.TryAddSingleton(provider => new DigitReader(provider.GetRequiredService<IDigitClassifier>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DigitClassifierWarmup>());
        return services;
    }
}
