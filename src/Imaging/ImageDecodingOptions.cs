namespace MnistCnn.Core.Imaging;

/// <summary>Limits applied to untrusted images before and while they are decoded.</summary>
public sealed class ImageDecodingOptions
{
    /// <summary>Largest accepted encoded size in bytes. Default 20 MB.</summary>
    public long MaxEncodedBytes { get; init; } = 20L << 20;

    /// <summary>Largest accepted width × height, checked from the header before decoding. Default 16 megapixels.</summary>
    public long MaxPixels { get; init; } = 16_000_000;

    /// <summary>Largest side in pixels. Default 8192.</summary>
    public int MaxSide { get; init; } = 8192;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid limit.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEncodedBytes, 1, nameof(MaxEncodedBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSide, 1, nameof(MaxSide));
    }
}
