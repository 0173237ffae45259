using MnistCnn.Core.Imaging;

namespace MnistCnn.Core.Inference;

/// <summary>
/// Recognises the handwritten or printed digit in images: what a backend implements. Images, files, streams, single
/// digits and datasets go through the extension methods of <see cref="DigitClassifierExtensions"/>, which preprocess
/// them with <see cref="Preprocessor"/> and call <see cref="PredictBatch"/>. Implementations are safe to use from many
/// threads at once.
/// </summary>
public interface IDigitClassifier : IDisposable
{
    /// <summary>The preprocessing step: what turns an image into the 28 x 28 input the model sees.</summary>
    DigitImagePreprocessor Preprocessor { get; }

    /// <summary>
    /// Recognises N already-normalized 28 x 28 images given as N x 784 contiguous values in [0, 1], row-major, light ink
    /// on black, in batched forward passes.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 784.</exception>
    IReadOnlyList<DigitPrediction> PredictBatch(ReadOnlySpan<float> normalizedPixels);
}
