using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MnistCnn.Core.Inference;

/// <summary>
/// An <see cref="IDigitClassifier"/> over an <see cref="MnistCnnModule"/>: images go through
/// <see cref="DigitImagePreprocessor"/>, then through the model in inference mode.
/// </summary>
public sealed class DigitClassifier : DigitClassifierBase
{
    private const string PretrainedResource = "MnistCnn.Core.Pretrained.mnist-cnn.bin";
    private const string PairResource = "MnistCnn.Core.Pretrained.digit-pairs.bin";

    private readonly MnistCnnModule _model;
    private readonly bool _ownsModel;
    private readonly Device _device;
    private readonly Lazy<DigitPairModule> _pairs;

    /// <summary>
    /// Wraps a trained <paramref name="model"/>, moved to <paramref name="device"/>. The classifier does not dispose a
    /// model passed here; do not train the model while the classifier uses it.
    /// </summary>
    public DigitClassifier(MnistCnnModule model, DigitImagePreprocessor? preprocessor = null, ComputeDevice device = ComputeDevice.Auto)
        : this(model, ownsModel: false, preprocessor, device)
    {
    }

    private DigitClassifier(MnistCnnModule model, bool ownsModel, DigitImagePreprocessor? preprocessor, ComputeDevice device)
        : base(preprocessor)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _ownsModel = ownsModel;
        _device = DeviceSelector.Resolve(device);
        _model.to(_device);
        _model.eval();
        _pairs = new Lazy<DigitPairModule>(LoadPairs, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>A classifier over the model embedded in this package: the tutorial's network trained on MNIST with augmentation, for real-world images.</summary>
    public static DigitClassifier LoadPretrained(DigitImagePreprocessor? preprocessor = null, ComputeDevice device = ComputeDevice.Auto)
    {
        using var stream = OpenEmbedded(PretrainedResource);
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

    /// <summary>A classifier over a weights file written by <see cref="MnistCnnModule.SaveWeights"/>, or a PyTorch <c>.pth</c>.</summary>
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
    protected override float[] Classify(ReadOnlySpan<float> normalizedPixels, int count) =>
        Probabilities(_model, normalizedPixels, [count, 1, MnistFormat.ImageSize, MnistFormat.ImageSize]);

    /// <inheritdoc/>
    private protected override float[] ClassifyPairs(ReadOnlySpan<float> inputs, int count) =>
        Probabilities(_pairs.Value, inputs, [count, 1, DigitPairModule.Height, DigitPairModule.Width]);

    /// <summary>The softmax of <paramref name="model"/>'s logits for <paramref name="pixels"/> of <paramref name="shape"/> (on the CPU, in [0, 1]), in inference mode.</summary>
    private float[] Probabilities(Module<Tensor, Tensor> model, ReadOnlySpan<float> pixels, long[] shape)
    {
        using (torch.inference_mode())
        using (var scope = torch.NewDisposeScope())
        {
            // Copied straight into native memory: a managed copy of a 256-image batch is an 800 KB LOH array per call.
            var input = torch.empty(shape, ScalarType.Float32);
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels).CopyTo(input.bytes);
            return model.call(input.to(_device)).softmax(1).cpu().data<float>().ToArray();
        }
    }

    /// <summary>The reader's pair model, loaded on first use onto this classifier's device.</summary>
    private DigitPairModule LoadPairs()
    {
        using var stream = OpenEmbedded(PairResource);
        var pairs = DigitPairModule.Load(stream, "embedded pair model");
        pairs.to(_device);
        pairs.eval();
        return pairs;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsModel)
        {
            _model.Dispose();
        }
        if (disposing && _pairs.IsValueCreated)
        {
            _pairs.Value.Dispose();
        }
        base.Dispose(disposing);
    }
}
