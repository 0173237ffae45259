using System.Diagnostics;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;

namespace MnistCnn.Core.Hosting;

/// <summary>
/// The registered classifier: the backend's, with every image recognised counted and each model call timed in
/// <see cref="DigitClassifierMetrics"/>; images the preprocessor refuses are counted by reason.
/// </summary>
internal sealed class InstrumentedDigitClassifier : IDigitClassifier
{
    private readonly DigitClassifierMetrics _metrics;

    public InstrumentedDigitClassifier(IDigitClassifier inner, DigitClassifierMetrics metrics)
    {
        Inner = inner;
        _metrics = metrics;
        inner.Preprocessor.Rejected += metrics.Rejected;
    }

    public IDigitClassifier Inner { get; }

    public DigitImagePreprocessor Preprocessor => Inner.Preprocessor;

    public IReadOnlyList<DigitPrediction> PredictBatch(ReadOnlySpan<float> normalizedPixels)
    {
        long start = Stopwatch.GetTimestamp();
        var predictions = Inner.PredictBatch(normalizedPixels);
        _metrics.Recognised(predictions.Count, Stopwatch.GetElapsedTime(start));
        return predictions;
    }

    public void Dispose()
    {
        Inner.Preprocessor.Rejected -= _metrics.Rejected;
        Inner.Dispose();
    }
}
