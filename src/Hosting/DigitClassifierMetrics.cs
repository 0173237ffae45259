using System.Diagnostics.Metrics;
using MnistCnn.Core.Imaging;

namespace MnistCnn.Core.Hosting;

/// <summary>
/// The instruments of the <c>MnistCnn.Core</c> meter: images recognised, images rejected by
/// <see cref="DigitImageException"/> reason, and how long each call took.
/// </summary>
internal sealed class DigitClassifierMetrics : IDisposable
{
    /// <summary>The meter's name, to subscribe to (for example with OpenTelemetry's <c>AddMeter</c>).</summary>
    public const string MeterName = "MnistCnn.Core";

    private readonly Meter _meter;
    private readonly Counter<long> _predictions;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments through <paramref name="meterFactory"/> (the host's), or on a meter of its own.</summary>
    public DigitClassifierMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _predictions = _meter.CreateCounter<long>("mnistcnn.predictions", "{image}", "Images whose digit was recognised.");
        _rejected = _meter.CreateCounter<long>("mnistcnn.rejected_images", "{image}", "Images refused as undecodable, too large or without a digit, tagged by reason.");
        _duration = _meter.CreateHistogram<double>("mnistcnn.prediction.duration", "s", "Time of one call to the model, for one image or a batch.");
    }

    internal void Recognised(int images, TimeSpan elapsed)
    {
        _predictions.Add(images);
        _duration.Record(elapsed.TotalSeconds);
    }

    internal void Rejected(DigitImageError reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));

    /// <summary>Disposes the meter, when it is not the host's.</summary>
    public void Dispose() => _meter.Dispose();
}
