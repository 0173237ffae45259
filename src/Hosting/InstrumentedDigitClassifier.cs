using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Hosting;

/// <summary>The registered classifier: the backend's, with every call counted and timed in <see cref="DigitClassifierMetrics"/>.</summary>
internal sealed class InstrumentedDigitClassifier(IDigitClassifier inner, DigitClassifierMetrics metrics) : IDigitClassifier
{
    public DigitImagePreprocessor Preprocessor => inner.Preprocessor;

    public IDigitClassifier Inner => inner;

    public DigitPrediction Predict(Image image) => One(() => inner.Predict(image));

    public DigitPrediction Predict(byte[] encodedImage) => One(() => inner.Predict(encodedImage));

    public DigitPrediction Predict(Stream encodedImage) => One(() => inner.Predict(encodedImage));

    public DigitPrediction Predict(string imagePath) => One(() => inner.Predict(imagePath));

    public DigitPrediction Predict(PreprocessedDigit digit) => One(() => inner.Predict(digit));

    public DigitPrediction Predict(ReadOnlySpan<float> normalizedPixels)
    {
        long start = Stopwatch.GetTimestamp();
        var prediction = inner.Predict(normalizedPixels);
        metrics.Recognised(1, Stopwatch.GetElapsedTime(start));
        return prediction;
    }

    public async Task<DigitPrediction> PredictAsync(Stream encodedImage, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var prediction = await inner.PredictAsync(encodedImage, cancellationToken).ConfigureAwait(false);
            metrics.Recognised(1, Stopwatch.GetElapsedTime(start));
            return prediction;
        }
        catch (DigitImageException ex)
        {
            metrics.Rejected(ex.Error);
            throw;
        }
    }

    public IReadOnlyList<DigitPrediction> PredictBatch(IReadOnlyList<Image> images) => Many(() => inner.PredictBatch(images));

    public IReadOnlyList<DigitPrediction> PredictBatch(IReadOnlyList<PreprocessedDigit> digits) => Many(() => inner.PredictBatch(digits));

    public IReadOnlyList<DigitPrediction> PredictBatch(ReadOnlySpan<float> normalizedPixels)
    {
        long start = Stopwatch.GetTimestamp();
        var predictions = inner.PredictBatch(normalizedPixels);
        metrics.Recognised(predictions.Count, Stopwatch.GetElapsedTime(start));
        return predictions;
    }

    public IReadOnlyList<DigitPrediction> PredictBatch(MnistDataset dataset) => Many(() => inner.PredictBatch(dataset));

    public DigitEvaluation Evaluate(MnistDataset dataset)
    {
        long start = Stopwatch.GetTimestamp();
        var evaluation = inner.Evaluate(dataset);
        metrics.Recognised(evaluation.Count, Stopwatch.GetElapsedTime(start));
        return evaluation;
    }

    public void Dispose() => inner.Dispose();

    private DigitPrediction One(Func<DigitPrediction> predict) => Many(() => [predict()])[0];

    private IReadOnlyList<DigitPrediction> Many(Func<IReadOnlyList<DigitPrediction>> predict)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var predictions = predict();
            metrics.Recognised(predictions.Count, Stopwatch.GetElapsedTime(start));
            return predictions;
        }
        catch (DigitImageException ex)
        {
            metrics.Rejected(ex.Error);
            throw;
        }
    }
}
