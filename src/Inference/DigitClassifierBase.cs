using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Model;

namespace MnistCnn.Core.Inference;

/// <summary>
/// What the built-in classifiers share: the preprocessor, batching, argument checks and a disposal that waits for
/// running calls. A backend implements one method, <see cref="Classify"/>, for up to <see cref="BatchSize"/> normalized
/// images at a time, and must allow it to be called from many threads at once.
/// </summary>
public abstract class DigitClassifierBase : IDigitClassifier
{
    /// <summary>Images per forward pass of the batch methods: larger batches hold more memory without running faster.</summary>
    public const int BatchSize = 256;

    private const int Pixels = MnistFormat.PixelsPerImage;

    private int _disposed;
    private int _running;

    /// <summary>Creates the shared part with <paramref name="preprocessor"/> (default limits when null).</summary>
    protected DigitClassifierBase(DigitImagePreprocessor? preprocessor)
    {
        Preprocessor = preprocessor ?? new DigitImagePreprocessor();
    }

    /// <inheritdoc/>
    public DigitImagePreprocessor Preprocessor { get; }

    /// <summary>The reads running over this classifier, by every <see cref="Reading.DigitReader"/> over it.</summary>
    internal Reading.ReadCounter Reads { get; } = new();

    /// <summary>True once <see cref="Dispose()"/> has run.</summary>
    protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc/>
    public IReadOnlyList<DigitPrediction> PredictBatch(ReadOnlySpan<float> normalizedPixels)
    {
        if (normalizedPixels.Length % Pixels != 0)
        {
            throw new ArgumentException($"The length {normalizedPixels.Length} is not a multiple of {Pixels} ({MnistFormat.ImageSize} x {MnistFormat.ImageSize}).", nameof(normalizedPixels));
        }
        int count = normalizedPixels.Length / Pixels;
        var results = new List<DigitPrediction>(count);
        using var running = Enter();
        for (int start = 0; start < count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, count - start);
            float[] probabilities = Classify(normalizedPixels.Slice(start * Pixels, n * Pixels), n);
            for (int i = 0; i < n; i++)
            {
                results.Add(new DigitPrediction(probabilities[(i * MnistFormat.ClassCount)..((i + 1) * MnistFormat.ClassCount)]));
            }
        }
        return results;
    }

    /// <summary>
    /// The reader's pair model's probabilities (<see cref="DigitPairModule.Classes"/> per input) for inputs made by
    /// <see cref="Reading.PairInput"/>, on this backend, in passes of up to <see cref="BatchSize"/>; null where the
    /// backend has no pair model (a subclass outside this library).
    /// </summary>
    internal float[]? PairProbabilities(ReadOnlySpan<float> inputs)
    {
        int count = inputs.Length / Reading.PairInput.Pixels;
        var result = new float[count * DigitPairModule.Classes];
        using var running = Enter();
        for (int start = 0; start < count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, count - start);
            if (ClassifyPairs(inputs.Slice(start * Reading.PairInput.Pixels, n * Reading.PairInput.Pixels), n) is not { } probabilities)
            {
                return null;
            }
            probabilities.CopyTo(result, start * DigitPairModule.Classes);
        }
        return result;
    }

    /// <summary>The pair model's probabilities for <paramref name="count"/> (1 to <see cref="BatchSize"/>) inputs; null: no pair model. Called from many threads at once.</summary>
    private protected virtual float[]? ClassifyPairs(ReadOnlySpan<float> inputs, int count) => null;

    /// <summary>
    /// The softmax probabilities, <see cref="MnistFormat.ClassCount"/> per image, of <paramref name="count"/> (1 to
    /// <see cref="BatchSize"/>) normalized images given as <paramref name="count"/> x 784 values. Called from many threads at once.
    /// </summary>
    protected abstract float[] Classify(ReadOnlySpan<float> normalizedPixels, int count);

    /// <summary>A model embedded in this package, by its resource name.</summary>
    private protected static Stream OpenEmbedded(string resource) =>
        typeof(DigitClassifierBase).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded model {resource} is missing from {typeof(DigitClassifierBase).Assembly.Location}.");

    /// <summary>Turns each row of <paramref name="logits"/> into probabilities, in place.</summary>
    protected static void Softmax(Span<float> logits) => Softmax(logits, MnistFormat.ClassCount);

    /// <summary>Turns each row of <paramref name="classes"/> <paramref name="logits"/> into probabilities, in place.</summary>
    private protected static void Softmax(Span<float> logits, int classes)
    {
        for (int row = 0; row < logits.Length; row += classes)
        {
            var values = logits.Slice(row, classes);
            float max = float.NegativeInfinity;
            foreach (float v in values)
            {
                max = Math.Max(max, v);
            }
            float sum = 0;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = MathF.Exp(values[i] - max);
                sum += values[i];
            }
            for (int i = 0; i < values.Length; i++)
            {
                values[i] /= sum;
            }
        }
    }

    /// <summary>
    /// Releases the backend. Calls already running finish first (new ones throw <see cref="ObjectDisposedException"/>),
    /// so the native model is never freed under a prediction on another thread.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            SpinWait.SpinUntil(() => Volatile.Read(ref _running) == 0);
            Dispose(disposing: true);
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the backend holds; called once, after the last running call.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// Counts a call into the backend as running until the result is disposed, or throws if the classifier is disposed:
    /// <see cref="Dispose()"/> waits for every running call before it releases anything.
    /// </summary>
    private protected RunningCall Enter()
    {
        Interlocked.Increment(ref _running);
        if (IsDisposed)
        {
            Interlocked.Decrement(ref _running);
            throw new ObjectDisposedException(GetType().FullName);
        }
        return new RunningCall(this);
    }

    /// <summary>One call into the backend, from <see cref="Enter"/> until disposed.</summary>
    private protected readonly struct RunningCall(DigitClassifierBase owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._running);
    }
}
