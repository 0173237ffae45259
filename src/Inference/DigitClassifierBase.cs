using System.Buffers;
using MnistCnn.Core.Data;
using MnistCnn.Core.Imaging;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Inference;

/// <summary>
/// What every <see cref="IDigitClassifier"/> shares: argument checks, the preprocessing of images, streams and files,
/// batching, and disposal. A backend implements one method, <see cref="Classify"/>, for up to <see cref="BatchSize"/>
/// normalized images at a time, and must allow it to be called from many threads at once.
/// </summary>
public abstract class DigitClassifierBase : IDigitClassifier
{
    /// <summary>Images per forward pass of the batch methods: larger batches hold more memory without running faster (README, Performance).</summary>
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

    /// <summary>True once <see cref="Dispose()"/> has run.</summary>
    protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

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
    public async Task<DigitPrediction> PredictAsync(Stream encodedImage, CancellationToken cancellationToken = default) =>
        Predict(await Preprocessor.ProcessAsync(encodedImage, cancellationToken: cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public DigitPrediction Predict(string imagePath) => Predict(Preprocessor.ProcessFile(imagePath));

    /// <inheritdoc/>
    public DigitPrediction Predict(PreprocessedDigit digit)
    {
        ArgumentNullException.ThrowIfNull(digit);
        return new DigitPrediction(Run(digit.Pixels, 1), digit);
    }

    /// <inheritdoc/>
    public DigitPrediction Predict(ReadOnlySpan<float> normalizedPixels)
    {
        if (normalizedPixels.Length != Pixels)
        {
            throw new ArgumentException($"A {MnistFormat.ImageSize} x {MnistFormat.ImageSize} image has {Pixels} values; {normalizedPixels.Length} were given.", nameof(normalizedPixels));
        }
        return new DigitPrediction(Run(normalizedPixels, 1));
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
        return InBatches(digits.Count, (start, n, batch) =>
        {
            for (int i = 0; i < n; i++)
            {
                var digit = digits[start + i] ?? throw new ArgumentNullException($"{nameof(digits)}[{start + i}]");
                digit.Pixels.CopyTo(batch.AsSpan(i * Pixels));
            }
        }, digits);
    }

    /// <inheritdoc/>
    public IReadOnlyList<DigitPrediction> PredictBatch(ReadOnlySpan<float> normalizedPixels)
    {
        if (normalizedPixels.Length % Pixels != 0)
        {
            throw new ArgumentException($"The length {normalizedPixels.Length} is not a multiple of {Pixels} ({MnistFormat.ImageSize} x {MnistFormat.ImageSize}).", nameof(normalizedPixels));
        }
        int count = normalizedPixels.Length / Pixels;
        var results = new List<DigitPrediction>(count);
        for (int start = 0; start < count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, count - start);
            AddPredictions(results, Run(normalizedPixels.Slice(start * Pixels, n * Pixels), n));
        }
        return results;
    }

    /// <inheritdoc/>
    public virtual IReadOnlyList<DigitPrediction> PredictBatch(MnistDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return InBatches(dataset.Count, (start, n, batch) => dataset.CopyNormalizedPixels(start, n, batch));
    }

    /// <inheritdoc/>
    public DigitEvaluation Evaluate(MnistDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new DigitEvaluation(dataset.GetLabels(), PredictBatch(dataset));
    }

    /// <summary>
    /// The softmax probabilities, <see cref="MnistFormat.ClassCount"/> per image, of <paramref name="count"/> (1 to
    /// <see cref="BatchSize"/>) normalized images given as <paramref name="count"/> x 784 values. Called from many threads at once.
    /// </summary>
    protected abstract float[] Classify(ReadOnlySpan<float> normalizedPixels, int count);

    /// <summary>Turns each row of <paramref name="logits"/> into probabilities, in place.</summary>
    protected static void Softmax(Span<float> logits)
    {
        for (int row = 0; row < logits.Length; row += MnistFormat.ClassCount)
        {
            var values = logits.Slice(row, MnistFormat.ClassCount);
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

    /// <summary>Releases what the backend holds; called once.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Probabilities of <paramref name="count"/> images, after the disposal check.</summary>
    private protected float[] Run(ReadOnlySpan<float> normalizedPixels, int count)
    {
        using var running = Enter();
        return Classify(normalizedPixels, count);
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

    /// <summary>Runs <paramref name="count"/> images through <see cref="Classify"/> in batches that <paramref name="fill"/> writes into one pooled buffer.</summary>
    private List<DigitPrediction> InBatches(int count, Action<int, int, float[]> fill, IReadOnlyList<PreprocessedDigit>? inputs = null)
    {
        var results = new List<DigitPrediction>(count);
        float[] batch = ArrayPool<float>.Shared.Rent(Math.Min(count, BatchSize) * Pixels);
        try
        {
            for (int start = 0; start < count; start += BatchSize)
            {
                int n = Math.Min(BatchSize, count - start);
                fill(start, n, batch);
                AddPredictions(results, Run(batch.AsSpan(0, n * Pixels), n), inputs, start);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(batch);
        }
        return results;
    }

    private protected static void AddPredictions(List<DigitPrediction> results, float[] probabilities, IReadOnlyList<PreprocessedDigit>? inputs = null, int firstInput = 0)
    {
        for (int i = 0; i < probabilities.Length / MnistFormat.ClassCount; i++)
        {
            results.Add(new DigitPrediction(probabilities[(i * MnistFormat.ClassCount)..((i + 1) * MnistFormat.ClassCount)], inputs?[firstInput + i]));
        }
    }
}
