using MnistCnn.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Data;

/// <summary>
/// One MNIST split held in memory as one contiguous uint8 tensor <c>[N, 1, 28, 28]</c> and an int64 label tensor <c>[N]</c>.
/// Batches are slices of these tensors, converted to float per batch.
/// </summary>
public sealed partial class MnistDataset : IDisposable
{
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private bool _disposed;

    private MnistDataset(Tensor images, Tensor labels, string source, bool hasNoDigit = false)
    {
        _images = images;
        _labels = labels;
        Source = source;
        HasNoDigit = hasNoDigit;
    }

    /// <summary>
    /// The label of a training image that holds no whole digit (a piece of one, or parts of two), as
    /// <see cref="WithReadingCrops"/> makes them: the <see cref="Training.Trainer"/> teaches the model to spread its
    /// probability evenly over the ten digits for such an image, so that a number reader can tell a bad cut by the model's doubt.
    /// </summary>
    public const int NoDigit = MnistFormat.ClassCount;

    /// <summary>Number of images.</summary>
    public int Count => (int)_labels.shape[0];

    /// <summary>Where the data came from (a directory, files, or a description).</summary>
    public string Source { get; }

    /// <summary>The images, uint8 <c>[N, 1, 28, 28]</c>; owned by this dataset.</summary>
    internal Tensor Images => ThrowIfDisposed(_images);

    /// <summary>The labels, int64 <c>[N]</c>; owned by this dataset.</summary>
    internal Tensor Labels => ThrowIfDisposed(_labels);

    /// <summary>Whether any label is <see cref="NoDigit"/> (only datasets from <see cref="WithReadingCrops"/>).</summary>
    internal bool HasNoDigit { get; }

    /// <summary>Evaluation scores digits: a dataset with <see cref="NoDigit"/> labels is for training only.</summary>
    /// <exception cref="ArgumentException">This dataset holds <see cref="NoDigit"/> labels.</exception>
    internal void ThrowIfNoDigit(string paramName)
    {
        if (HasNoDigit)
        {
            throw new ArgumentException($"{Source} holds images labelled NoDigit (reading crops), which are for training only; evaluate on MNIST test or another set of digits.", paramName);
        }
    }

    /// <summary>
    /// Loads a split from <paramref name="directory"/>, which holds the standard MNIST file names, raw or <c>.gz</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing, malformed or inconsistent with its partner.</exception>
    public static MnistDataset Load(string directory, MnistSplit split)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var (imagesFile, labelsFile) = MnistFiles.For(split);
        string images = MnistFiles.Locate(directory, imagesFile)
            ?? throw InvalidFile.Create(Path.Combine(directory, imagesFile.Name), $"not found (nor {imagesFile.Name}.gz). Download MNIST with MnistDataset.DownloadAsync(\"{directory}\") or copy the four idx files there.");
        string labels = MnistFiles.Locate(directory, labelsFile)
            ?? throw InvalidFile.Create(Path.Combine(directory, labelsFile.Name), $"not found (nor {labelsFile.Name}.gz). Download MNIST with MnistDataset.DownloadAsync(\"{directory}\") or copy the four idx files there.");
        return FromFiles(images, labels);
    }

    /// <summary>Loads images and labels from two IDX files (raw or gzip).</summary>
    /// <exception cref="InvalidDataException">A file is missing, malformed or inconsistent with its partner.</exception>
    public static MnistDataset FromFiles(string imagesPath, string labelsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        ArgumentException.ThrowIfNullOrEmpty(labelsPath);

        // The pixels go straight from the file into the tensor: one read, no managed copy of the 47 MB.
        Tensor? images = null;
        try
        {
            var (_, d) = IdxReader.Read(imagesPath, (type, dims, _) =>
            {
                if (type != IdxElementType.UnsignedByte || dims.Length != 3 || dims[1] != MnistFormat.ImageSize || dims[2] != MnistFormat.ImageSize)
                {
                    throw InvalidFile.Create(imagesPath, $"expected unsigned-byte images of shape N x {MnistFormat.ImageSize} x {MnistFormat.ImageSize}, found {type} of shape {string.Join(" x ", dims)}. Is this a labels file?");
                }
                images = NewImageTensor(dims[0]);
                NativeMemoryTuning.AdviseHugePages(images.bytes);
                return images.bytes;
            });
            IdxArray labels = IdxReader.Read(labelsPath);
            if (labels.ElementType != IdxElementType.UnsignedByte || labels.Dimensions.Length != 1)
            {
                throw InvalidFile.Create(labelsPath, $"expected unsigned-byte labels of shape N, found {labels.ElementType} of shape {string.Join(" x ", labels.Dimensions)}. Is this an images file?");
            }
            if (labels.Dimensions[0] != d[0])
            {
                throw InvalidFile.Create(labelsPath, $"holds {labels.Dimensions[0]} labels but {imagesPath} holds {d[0]} images; the two files must come from the same split.");
            }
            return Create(images!, labels.Data, $"{imagesPath} + {labelsPath}", labelsPath);
        }
        catch
        {
            images?.Dispose();
            throw;
        }
    }

    private static Tensor NewImageTensor(long count)
    {
        TorchRuntime.EnsureLoaded();
        return torch.empty([count, 1, MnistFormat.ImageSize, MnistFormat.ImageSize], ScalarType.Byte);
    }

    /// <summary>
    /// Creates a dataset from pixels (N x 28 x 28 bytes, row-major, 0 = background, 255 = ink) and labels (N bytes, 0–9).
    /// </summary>
    public static MnistDataset FromBytes(ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels) => FromBytes(pixels, labels, allowNoDigit: false);

    /// <summary>As the public <see cref="FromBytes(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>; <see cref="NoDigit"/> labels are accepted when <paramref name="allowNoDigit"/>.</summary>
    internal static MnistDataset FromBytes(ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, bool allowNoDigit)
    {
        const int pixelsPerImage = MnistFormat.PixelsPerImage;
        if (labels.Length == 0)
        {
            throw new ArgumentException("At least one label is required.", nameof(labels));
        }
        if (pixels.Length != (long)labels.Length * pixelsPerImage)
        {
            throw new ArgumentException($"{labels.Length} labels need {labels.Length * (long)pixelsPerImage} pixels ({MnistFormat.ImageSize} x {MnistFormat.ImageSize} each), but {pixels.Length} were given.", nameof(pixels));
        }
        var images = NewImageTensor(labels.Length);
        try
        {
            pixels.CopyTo(images.bytes);
            return Create(images, labels.ToArray(), "memory", null, allowNoDigit);
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    /// <summary>Checks the labels and wraps both tensors; the caller disposes <paramref name="images"/> if this throws.</summary>
    private static MnistDataset Create(Tensor images, byte[] labels, string source, string? labelsPath, bool allowNoDigit = false)
    {
        int bad = labels.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)(allowNoDigit ? NoDigit : MnistFormat.ClassCount - 1));
        if (bad >= 0)
        {
            string defect = $"label {bad} is {labels[bad]}; MNIST labels must be 0 to 9.";
            throw labelsPath is null ? new ArgumentException(defect, nameof(labels)) : InvalidFile.Create(labelsPath, defect);
        }

        using var labelBytes = torch.tensor(labels, dtype: ScalarType.Byte);
        var labelTensor = labelBytes.to(ScalarType.Int64);
        return new MnistDataset(images, labelTensor, source, allowNoDigit && labels.AsSpan().Contains((byte)NoDigit));
    }

    /// <summary>A new dataset holding images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 (a copy), for quick runs.</summary>
    public MnistDataset Subset(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if ((long)start + count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"start {start} + count {count} exceeds the {Count} images of this dataset.");
        }
        using var images = Images.narrow(0, start, count);
        using var labels = Labels.narrow(0, start, count);
        return new MnistDataset(images.clone(), labels.clone(), $"{Source} [{start}..{start + count})", HasNoDigit && HoldsNoDigit(labels));
    }

    private static bool HoldsNoDigit(Tensor labels)
    {
        using Scalar noDigit = NoDigit.ToScalar();
        using var matches = labels.eq(noDigit);
        using var any = matches.any();
        return any.item<bool>();
    }

    /// <summary>The first <paramref name="count"/> images (or all, if fewer), as a new dataset.</summary>
    public MnistDataset Take(int count) => Subset(0, Math.Min(count, Count));

    /// <summary>The label of image <paramref name="index"/>: 0 to 9, or <see cref="NoDigit"/>.</summary>
    public int GetLabel(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return (int)Labels[index].item<long>();
    }

    /// <summary>The 784 pixels of image <paramref name="index"/>, row-major, 0 = background, 255 = ink.</summary>
    public byte[] GetPixels(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        using var image = Images[index];
        return image.data<byte>().ToArray();
    }

    /// <summary>Every label, in order.</summary>
    public int[] GetLabels()
    {
        using var labels = Labels.to(ScalarType.Int32);
        return labels.data<int>().ToArray();
    }

    /// <summary>The 784 pixels of image <paramref name="index"/> as the model sees them: row-major, in [0, 1], 0 = background.</summary>
    public float[] GetNormalizedPixels(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var normalized = new float[MnistFormat.PixelsPerImage];
        CopyNormalizedPixels(index, 1, normalized);
        return normalized;
    }

    /// <summary>Writes images <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> − 1 as model input into <paramref name="destination"/>.</summary>
    internal void CopyNormalizedPixels(int start, int count, Span<float> destination)
    {
        var pixels = Images.bytes.Slice(start * MnistFormat.PixelsPerImage, count * MnistFormat.PixelsPerImage);
        MnistFormat.ToModelInput(pixels, destination);
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _images.Dispose();
            _labels.Dispose();
        }
    }

    private Tensor ThrowIfDisposed(Tensor t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return t;
    }
}
