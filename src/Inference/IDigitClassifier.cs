using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Inference;

/// <summary>
/// Recognises the handwritten or printed digit in an image. Implementations are safe to use from many threads at once.
/// </summary>
public interface IDigitClassifier : IDisposable
{
    /// <summary>The preprocessing step: what turns an image into the 28 x 28 input the model sees.</summary>
    DigitImagePreprocessor Preprocessor { get; }

    /// <summary>Recognises the digit in an image of any size and pixel format.</summary>
    /// <exception cref="DigitImageException">The image shows no digit.</exception>
    DigitPrediction Predict(Image image);

    /// <summary>Recognises the digit in an encoded image (PNG, JPEG, BMP or GIF).</summary>
    /// <exception cref="DigitImageException">The bytes are not an accepted image, are too large, or show no digit.</exception>
    DigitPrediction Predict(byte[] encodedImage);

    /// <summary>Recognises the digit in an encoded image stream.</summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    DigitPrediction Predict(Stream encodedImage);

    /// <summary>
    /// Reads an encoded image stream (an upload) asynchronously, up to the size limit of
    /// <see cref="ImageDecodingOptions.MaxEncodedBytes"/>, and recognises the digit in it.
    /// </summary>
    /// <exception cref="DigitImageException">The stream is not an accepted image, is too large, or shows no digit.</exception>
    Task<DigitPrediction> PredictAsync(Stream encodedImage, CancellationToken cancellationToken = default);

    /// <summary>Recognises the digit in an image file.</summary>
    /// <exception cref="DigitImageException">The file is not an accepted image, is too large, or shows no digit.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    DigitPrediction Predict(string imagePath);

    /// <summary>Recognises an already-normalized 28 x 28 image: 784 values in [0, 1], row-major, light ink on black.</summary>
    DigitPrediction Predict(ReadOnlySpan<float> normalizedPixels);

    /// <summary>Recognises a preprocessed digit.</summary>
    DigitPrediction Predict(PreprocessedDigit digit);

    /// <summary>Recognises many images with one forward pass per batch.</summary>
    /// <exception cref="DigitImageException">An image shows no digit.</exception>
    IReadOnlyList<DigitPrediction> PredictBatch(IReadOnlyList<Image> images);

    /// <summary>Recognises many preprocessed digits with one forward pass per batch.</summary>
    IReadOnlyList<DigitPrediction> PredictBatch(IReadOnlyList<PreprocessedDigit> digits);

    /// <summary>Recognises N already-normalized 28 x 28 images given as N x 784 contiguous values.</summary>
    IReadOnlyList<DigitPrediction> PredictBatch(ReadOnlySpan<float> normalizedPixels);

    /// <summary>Recognises every image of an MNIST-format dataset, in order.</summary>
    IReadOnlyList<DigitPrediction> PredictBatch(MnistDataset dataset);

    /// <summary>Recognises every image of <paramref name="dataset"/> and compares the digits with its labels.</summary>
    DigitEvaluation Evaluate(MnistDataset dataset);
}
