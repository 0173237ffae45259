using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;

namespace MnistCnn.Core.Inference;

/// <summary>
/// An <see cref="IDigitClassifier"/> on ONNX Runtime, for services that should not ship libtorch: the same
/// preprocessing and predictions as <see cref="DigitClassifier"/>, from a model exported by
/// <see cref="MnistCnnModule.ExportOnnx"/> (or the embedded one). It never loads TorchSharp's native libraries, except
/// to read an <see cref="MnistDataset"/>, which lives in a torch tensor. Thread-safe: one ONNX Runtime session serves every thread. The application references the package
/// Microsoft.ML.OnnxRuntime for the native runtime.
/// </summary>
public sealed class OnnxDigitClassifier : DigitClassifierBase
{
    private const string PretrainedResource = "MnistCnn.Core.Pretrained.mnist-cnn.onnx";
    private const string PairResource = "MnistCnn.Core.Pretrained.digit-pairs.onnx";

    // By default a call runs on its caller's thread alone, not on ONNX Runtime's default pool of one thread per physical
    // core, whose threads spin after each operator and compete with the reader's side thread and with other requests;
    // only a batch this large (a Predict never is; a 6-digit number's read makes 15-35 candidates, though a long number
    // of many pieces can reach it) goes to a second session with that pool, made when first needed
    // (src/Runtime/README.md).
    private const int DefaultIntraOpThreads = 1;
    private const int PooledBatch = 128;

    private static readonly string[] InputNames = [OnnxExporter.InputName];
    private static readonly string[] OutputNames = [OnnxExporter.OutputName];

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly Lazy<InferenceSession> _pairSession;
    private readonly Lazy<InferenceSession>? _pooledSession;

    private OnnxDigitClassifier(InferenceSession session, byte[] model, string source, DigitImagePreprocessor? preprocessor, int intraOpThreads)
        : base(preprocessor)
    {
        _session = session;
        _pairSession = new Lazy<InferenceSession>(() => CreateSession(EmbeddedBytes(PairResource), "embedded pair model", SessionThreads(intraOpThreads)), LazyThreadSafetyMode.ExecutionAndPublication);
        if (intraOpThreads == 0)
        {
            _pooledSession = new Lazy<InferenceSession>(() => CreateSession(model, source, intraOpThreads: 0), LazyThreadSafetyMode.ExecutionAndPublication);
        }
    }

    /// <summary>
    /// A classifier over an ONNX model file with this library's input and output (<c>input</c> float
    /// <c>[N, 1, 28, 28]</c>, <c>logits</c> <c>[N, 10]</c>). <paramref name="intraOpThreads"/> bounds ONNX Runtime's
    /// threads per call. 0 (the default) runs a call of fewer than 128 images (every <c>Predict</c>, and the
    /// candidates of most numbers' reads) on its caller's thread alone, which gives the fastest <c>Predict</c> and read and the most per second under
    /// concurrent calls, and a larger batch on ONNX Runtime's pool of one thread per physical core; a value above 0
    /// gives every call that many.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not such a model; the message names what differs.</exception>
    /// <exception cref="OnnxRuntimeLoadException">The application does not reference Microsoft.ML.OnnxRuntime.</exception>
    public static OnnxDigitClassifier FromFile(string modelPath, DigitImagePreprocessor? preprocessor = null, int intraOpThreads = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        byte[] model;
        try
        {
            model = File.ReadAllBytes(modelPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Model file '{modelPath}' not found. Export one with MnistCnnModule.ExportOnnx or use OnnxDigitClassifier.LoadPretrained().", modelPath, ex);
        }
        return FromBytes(model, modelPath, preprocessor, intraOpThreads);
    }

    /// <summary>
    /// A classifier over the ONNX export of the model embedded in this package (the same weights as
    /// <see cref="DigitClassifier.LoadPretrained"/>); <paramref name="intraOpThreads"/> as for <see cref="FromFile"/>.
    /// </summary>
    /// <exception cref="OnnxRuntimeLoadException">The application does not reference Microsoft.ML.OnnxRuntime.</exception>
    public static OnnxDigitClassifier LoadPretrained(DigitImagePreprocessor? preprocessor = null, int intraOpThreads = 0) =>
        FromBytes(EmbeddedBytes(PretrainedResource), "embedded pretrained ONNX model", preprocessor, intraOpThreads);

    /// <summary>The raw logits (10 per image) of <paramref name="count"/> normalized images.</summary>
    internal float[] Logits(ReadOnlySpan<float> normalizedPixels, int count)
    {
        using var running = Enter();
        return Run(UsesPool(count) ? _pooledSession!.Value : _session, normalizedPixels, [count, 1, MnistFormat.ImageSize, MnistFormat.ImageSize]);
    }

    /// <inheritdoc/>
    private protected override float[] ClassifyPairs(ReadOnlySpan<float> inputs, int count)
    {
        float[] logits = Run(_pairSession.Value, inputs, [count, 1, DigitPairModule.Height, DigitPairModule.Width]);
        Softmax(logits, DigitPairModule.Classes);
        return logits;
    }

    private float[] Run(InferenceSession session, ReadOnlySpan<float> inputs, long[] shape)
    {
        float[] input = ArrayPool<float>.Shared.Rent(inputs.Length);
        try
        {
            inputs.CopyTo(input);
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, inputs.Length), shape);
            using var outputs = session.Run(_runOptions, InputNames, [value], OutputNames);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    private static byte[] EmbeddedBytes(string resource)
    {
        using var stream = OpenEmbedded(resource);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <inheritdoc/>
    protected override float[] Classify(ReadOnlySpan<float> normalizedPixels, int count)
    {
        float[] logits = Logits(normalizedPixels, count);
        Softmax(logits);
        return logits;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _session.Dispose();
            if (_pairSession.IsValueCreated)
            {
                _pairSession.Value.Dispose();
            }
            if (_pooledSession is { IsValueCreated: true })
            {
                _pooledSession.Value.Dispose();
            }
            _runOptions.Dispose();
        }
        base.Dispose(disposing);
    }

    private static OnnxDigitClassifier FromBytes(byte[] model, string source, DigitImagePreprocessor? preprocessor, int intraOpThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(intraOpThreads);
        var session = CreateSession(model, source, SessionThreads(intraOpThreads));
        try
        {
            CheckSignature(session, source);
            return new OnnxDigitClassifier(session, model, source, preprocessor, intraOpThreads);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The intra-op threads a call's session gets for the caller's <paramref name="intraOpThreads"/> (0: the default), below a pooled batch.</summary>
    internal static int SessionThreads(int intraOpThreads) => intraOpThreads == 0 ? DefaultIntraOpThreads : intraOpThreads;

    /// <summary>Whether <paramref name="count"/> images go to the session with ONNX Runtime's own thread pool.</summary>
    internal bool UsesPool(int count) => _pooledSession is not null && count >= PooledBatch;

    /// <summary>A session with <paramref name="intraOpThreads"/> threads a call (0: ONNX Runtime's pool, one per physical core).</summary>
    private static InferenceSession CreateSession(byte[] model, string source, int intraOpThreads)
    {
        SessionOptions options;
        try
        {
            options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = intraOpThreads };
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new OnnxRuntimeLoadException(
                "ONNX Runtime's native library could not be loaded. Add the package Microsoft.ML.OnnxRuntime (version 1.31.1) to your application project; MnistCnn.Core references only its managed API.", ex);
        }
        using (options)
        {
            try
            {
                return new InferenceSession(model, options);
            }
            catch (OnnxRuntimeException ex)
            {
                throw InvalidFile.Create(source, $"ONNX Runtime cannot load it as a model ({ex.Message.ReplaceLineEndings(" ")}). Export one with MnistCnnModule.ExportOnnx.", ex);
            }
        }
    }

    /// <summary>Refuses a model whose input or output is not this library's, naming what differs.</summary>
    private static void CheckSignature(InferenceSession session, string source)
    {
        static string Describe(IReadOnlyDictionary<string, NodeMetadata> values) =>
            string.Join(", ", values.Select(v => $"'{v.Key}' {v.Value.ElementDataType} [{string.Join(", ", v.Value.Dimensions.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]"));

        bool inputOk = session.InputMetadata.Count == 1
            && session.InputMetadata.TryGetValue(OnnxExporter.InputName, out var input)
            && input.ElementDataType == TensorElementType.Float
            && input.Dimensions is [< 0, 1, MnistFormat.ImageSize, MnistFormat.ImageSize];
        bool outputOk = session.OutputMetadata.Count == 1
            && session.OutputMetadata.TryGetValue(OnnxExporter.OutputName, out var output)
            && output.ElementDataType == TensorElementType.Float
            && output.Dimensions is [< 0, MnistFormat.ClassCount];
        if (!inputOk || !outputOk)
        {
            throw InvalidFile.Create(source,
                $"not a digit model of this library: it takes {Describe(session.InputMetadata)} and gives {Describe(session.OutputMetadata)}, "
                + $"but one input '{OnnxExporter.InputName}' Float [N, 1, {MnistFormat.ImageSize}, {MnistFormat.ImageSize}] with a dynamic batch and one output '{OnnxExporter.OutputName}' Float [N, {MnistFormat.ClassCount}] are needed. "
                + "Export the model with MnistCnnModule.ExportOnnx.");
        }
    }
}
