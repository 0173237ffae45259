using System.Buffers;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Inference;

/// <summary>
/// Everything a classifier recognises, for any <see cref="IDigitClassifier"/>: images of any size and format, files,
/// encoded bytes and streams, preprocessed digits, and whole datasets, each preprocessed by the classifier's
/// <see cref="IDigitClassifier.Preprocessor"/> and classified in batches.
/// </summary>
public static class DigitClassifierExtensions
{
    private const int Pixels = MnistFormat.PixelsPerImage;

    /// <summary>Recognises the digit in an image of any size and pixel format.</summary>
    /// <exception cref="DigitImageException">The image shows no digit.</exception>
    public static DigitPrediction Predict(this IDigitClassifier classifier, Image image)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Predict(classifier.Preprocessor.Process(image));
    }

    /// <summary>Recognises the digit in an encoded image (PNG, JPEG, BMP or GIF).</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no digit.</exception>
    public static DigitPrediction Predict(this IDigitClassifier classifier, byte[] encodedImage)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Predict(classifier.Preprocessor.Process(encodedImage));
    }

    /// <summary>Recognises the digit in an encoded image stream, read up to the size limit.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    public static DigitPrediction Predict(this IDigitClassifier classifier, Stream encodedImage)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Predict(classifier.Preprocessor.Process(encodedImage));
    }

    /// <summary>
    /// Reads an encoded image stream (an upload) asynchronously, up to <see cref="ImageDecodingOptions.MaxEncodedBytes"/>,
    /// and recognises the digit in it.
    /// </summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    public static async Task<DigitPrediction> PredictAsync(this IDigitClassifier classifier, Stream encodedImage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Predict(await classifier.Preprocessor.ProcessAsync(encodedImage, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Recognises the digit in an image file.</summary>
    /// <exception cref="DigitImageException">The file is not an accepted image, is too large, or shows no digit.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static DigitPrediction Predict(this IDigitClassifier classifier, string imagePath)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Predict(classifier.Preprocessor.ProcessFile(imagePath));
    }

    /// <summary>Recognises a preprocessed digit; the prediction's <see cref="DigitPrediction.Input"/> is that digit.</summary>
    public static DigitPrediction Predict(this IDigitClassifier classifier, PreprocessedDigit digit)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(digit);
        return new DigitPrediction(classifier.PredictBatch(digit.Pixels)[0].ProbabilityArray, digit);
    }

    /// <summary>Recognises an already-normalized 28 x 28 image: 784 values in [0, 1], row-major, light ink on black.</summary>
    /// <exception cref="ArgumentException">There are not exactly 784 values.</exception>
    public static DigitPrediction Predict(this IDigitClassifier classifier, ReadOnlySpan<float> normalizedPixels)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (normalizedPixels.Length != Pixels)
        {
            throw new ArgumentException($"A {MnistFormat.ImageSize} x {MnistFormat.ImageSize} image has {Pixels} values; {normalizedPixels.Length} were given.", nameof(normalizedPixels));
        }
        return classifier.PredictBatch(normalizedPixels)[0];
    }

    /// <summary>Recognises many images with one forward pass per batch.</summary>
    /// <exception cref="DigitImageException">An image shows no digit; its message names it by index.</exception>
    public static IReadOnlyList<DigitPrediction> PredictBatch(this IDigitClassifier classifier, IReadOnlyList<Image> images)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(images);
        return classifier.PredictBatch(images.Select((image, i) => classifier.Preprocessor.Process(image, $"image {i}")).ToList());
    }

    /// <summary>Recognises many preprocessed digits with one forward pass per batch; each prediction keeps its digit as <see cref="DigitPrediction.Input"/>.</summary>
    public static IReadOnlyList<DigitPrediction> PredictBatch(this IDigitClassifier classifier, IReadOnlyList<PreprocessedDigit> digits)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(digits);
        return InBatches(classifier, digits.Count, (start, n, batch) =>
        {
            for (int i = 0; i < n; i++)
            {
                var digit = digits[start + i] ?? throw new ArgumentNullException($"{nameof(digits)}[{start + i}]");
                digit.Pixels.CopyTo(batch.AsSpan(i * Pixels));
            }
        }, digits);
    }

    /// <summary>Recognises every image of an MNIST-format dataset, in order.</summary>
    public static IReadOnlyList<DigitPrediction> PredictBatch(this IDigitClassifier classifier, MnistDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(dataset);
        return InBatches(classifier, dataset.Count, (start, n, batch) => dataset.CopyNormalizedPixels(start, n, batch));
    }

    /// <summary>Recognises every image of <paramref name="dataset"/> and compares the digits with its labels.</summary>
    public static DigitEvaluation Evaluate(this IDigitClassifier classifier, MnistDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(dataset);
        dataset.ThrowIfNoDigit(nameof(dataset));
        return new DigitEvaluation(dataset.GetLabels(), classifier.PredictBatch(dataset));
    }

    /// <summary>Runs <paramref name="count"/> images through the classifier in batches that <paramref name="fill"/> writes into one pooled buffer.</summary>
    private static List<DigitPrediction> InBatches(IDigitClassifier classifier, int count, Action<int, int, float[]> fill, IReadOnlyList<PreprocessedDigit>? inputs = null)
    {
        const int batchSize = DigitClassifierBase.BatchSize;
        var results = new List<DigitPrediction>(count);
        float[] batch = ArrayPool<float>.Shared.Rent(Math.Min(count, batchSize) * Pixels);
        try
        {
            for (int start = 0; start < count; start += batchSize)
            {
                int n = Math.Min(batchSize, count - start);
                fill(start, n, batch);
                var predictions = classifier.PredictBatch(batch.AsSpan(0, n * Pixels));
                for (int i = 0; i < n; i++)
                {
                    results.Add(inputs is null ? predictions[i] : new DigitPrediction(predictions[i].ProbabilityArray, inputs[start + i]));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(batch);
        }
        return results;
    }
}
