using System.Reflection;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using SixLabors.ImageSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Inference;

/// <summary>
/// An <see cref="IDigitClassifier"/> over an <see cref="MnistCnnModule"/>: images go through
/// <see cref="DigitImagePreprocessor"/>, then through the model in inference mode.
/// </summary>
public sealed class DigitClassifier : IDigitClassifier
{
    /// <summary>Images per forward pass of the batch methods: larger batches hold more memory without running faster (README, Performance).</summary>
    public const int BatchSize = 256;

    private const int Pixels = MnistFormat.PixelsPerImage;
    private const string PretrainedResource = "MnistCnn.Core.Pretrained.mnist-cnn.bin";

    private readonly MnistCnnModule _model;
    private readonly bool _ownsModel;
    private readonly Device _device;
    private int _disposed;

    /// <summary>
    /// Wraps a trained <paramref name="model"/>, moved to <paramref name="device"/>. The classifier does not dispose a
    /// model passed here; do not train the model while the classifier uses it.
    /// </summary>
    public DigitClassifier(MnistCnnModule model, DigitImagePreprocessor? preprocessor = null, ComputeDevice device = ComputeDevice.Auto)
        : this(model, ownsModel: false, preprocessor, device)
    {
    }

    private DigitClassifier(MnistCnnModule model, bool ownsModel, DigitImagePreprocessor? preprocessor, ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _ownsModel = ownsModel;
        Preprocessor = preprocessor ?? new DigitImagePreprocessor();
        _device = DeviceSelector.Resolve(device);
        _model.to(_device);
        _model.eval();
    }

    /// <summary>The preprocessing step, for inspecting what the model sees.</summary>
    public DigitImagePreprocessor Preprocessor { get; }

    /// <summary>A classifier over the model embedded in this package, trained by the project's own sample (its recipe and accuracy are in the README).</summary>
    public static DigitClassifier LoadPretrained(DigitImagePreprocessor? preprocessor = null, ComputeDevice device = ComputeDevice.Auto)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(PretrainedResource)
            ?? throw new InvalidOperationException($"The embedded model {PretrainedResource} is missing from {typeof(DigitClassifier).Assembly.Location}.");
        var model = new MnistCnnModule();
        try
        {
            model.LoadWeights(stream, "embedded pretrained model");
            return new DigitClassifier(model, ownsModel: true, preprocessor, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A classifier over a weights file written by <see cref="MnistCnnModule.SaveWeights"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a model of this architecture.</exception>
    public static DigitClassifier FromFile(string modelPath, DigitImagePreprocessor? preprocessor = null, ComputeDevice device = ComputeDevice.Auto)
    {
        var model = MnistCnnModule.FromFile(modelPath);
        try
        {
            return new DigitClassifier(model, ownsModel: true, preprocessor, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public DigitPrediction Predict(Image image) => Predict(Preprocessor.Process(image));

    /// <inheritdoc/>
    public DigitPrediction Predict(byte[] encodedImage)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return Predict(Preprocessor.Process(encodedImage));
    }

    /// <inheritdoc/>
    public DigitPrediction Predict(Stream encodedImage) => Predict(Preprocessor.Process(encodedImage));

    /// <inheritdoc/>
    public DigitPrediction Predict(string imagePath) => Predict(Preprocessor.ProcessFile(imagePath));

    /// <inheritdoc/>
    public DigitPrediction Predict(PreprocessedDigit digit)
    {
        ArgumentNullException.ThrowIfNull(digit);
        return Predict(digit.Pixels);
    }

    /// <inheritdoc/>
    public DigitPrediction Predict(ReadOnlySpan<float> normalizedPixels)
    {
        if (normalizedPixels.Length != Pixels)
        {
            throw new ArgumentException($"A 28 x 28 image has {Pixels} values; {normalizedPixels.Length} were given.", nameof(normalizedPixels));
        }
        return Forward(normalizedPixels, 1)[0];
    }

    /// <inheritdoc/>
    public IReadOnlyList<DigitPrediction> PredictBatch(IReadOnlyList<Image> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return PredictBatch(images.Select((image, i) => Preprocessor.Process(image, $"image {i}")).ToList());
    }

    /// <inheritdoc/>
    public IReadOnlyList<DigitPrediction> PredictBatch(IReadOnlyList<PreprocessedDigit> digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        var pixels = new float[digits.Count * Pixels];
        for (int i = 0; i < digits.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(digits[i], $"{nameof(digits)}[{i}]");
            digits[i].Pixels.CopyTo(pixels.AsSpan(i * Pixels));
        }
        return PredictBatch(pixels);
    }

    /// <inheritdoc/>
    public IReadOnlyList<DigitPrediction> PredictBatch(ReadOnlySpan<float> normalizedPixels)
    {
        if (normalizedPixels.Length % Pixels != 0)
        {
            throw new ArgumentException($"The length {normalizedPixels.Length} is not a multiple of {Pixels} (28 x 28).", nameof(normalizedPixels));
        }
        int count = normalizedPixels.Length / Pixels;
        var results = new List<DigitPrediction>(count);
        for (int start = 0; start < count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, count - start);
            results.AddRange(Forward(normalizedPixels.Slice(start * Pixels, n * Pixels), n));
        }
        return results;
    }

    /// <inheritdoc/>
    public IReadOnlyList<DigitPrediction> PredictBatch(MnistDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var images = dataset.Images;
        var results = new List<DigitPrediction>(dataset.Count);
        for (int start = 0; start < dataset.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, dataset.Count - start);
            using var scope = torch.NewDisposeScope();
            results.AddRange(Forward(MnistFormat.ToModelInput(images.narrow(0, start, n)), n));
        }
        return results;
    }

    /// <inheritdoc/>
    public DigitEvaluation Evaluate(MnistDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new DigitEvaluation(dataset.GetLabels(), PredictBatch(dataset));
    }

    private DigitPrediction[] Forward(ReadOnlySpan<float> pixels, int count)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var scope = torch.NewDisposeScope();
        // Copied straight into native memory: a managed copy of a 256-image batch is an 800 KB LOH array per call.
        var input = torch.empty([count, 1, MnistFormat.ImageSize, MnistFormat.ImageSize], ScalarType.Float32);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels).CopyTo(input.bytes);
        return Forward(input, count);
    }

    /// <summary>Runs the model on <paramref name="count"/> inputs (float32 in [0, 1], on the CPU) in inference mode.</summary>
    private DigitPrediction[] Forward(Tensor input, int count)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        float[] probabilities;
        using (torch.inference_mode())
        using (var scope = torch.NewDisposeScope())
        {
            probabilities = _model.call(input.to(_device)).softmax(1).cpu().data<float>().ToArray();
        }
        var results = new DigitPrediction[count];
        for (int i = 0; i < count; i++)
        {
            results[i] = new DigitPrediction(probabilities[(i * MnistFormat.ClassCount)..((i + 1) * MnistFormat.ClassCount)]);
        }
        return results;
    }

    /// <summary>Releases the model if this classifier loaded it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsModel)
        {
            _model.Dispose();
        }
    }
}
