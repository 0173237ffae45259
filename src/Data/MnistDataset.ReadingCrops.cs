using MnistCnn.Core.Reading;

namespace MnistCnn.Core.Data;

/// <summary>Training data for a model that reads whole numbers.</summary>
public sealed partial class MnistDataset
{
    /// <summary>
    /// A new dataset: these images followed by <paramref name="count"/> more made from them as a number reader's
    /// segmentation hands pieces of a line to the model: digits with touching neighbours' fragments, strokes clipped by a
    /// cut or broken by a pen lift, low-resolution scans enlarged again; and, labelled <see cref="NoDigit"/>, bad cuts
    /// (part of a digit, or parts of two) that the model should learn to doubt (<c>src/Reading/README.md</c>). The same
    /// seed gives the same images.
    /// </summary>
    /// <param name="count">How many crops to add, 1 to 1,000,000.</param>
    /// <param name="seed">Seeds the choice of digits, neighbours, cuts and damage.</param>
    public MnistDataset WithReadingCrops(int count, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1_000_000);
        if (HasNoDigit)
        {
            throw new InvalidOperationException($"{Source} already holds reading crops; make them from the digits alone.");
        }
        var (cropPixels, cropLabels) = TrainingCrops.Generate(this, count, seed);
        var pixels = new byte[(long)(Count + count) * MnistFormat.PixelsPerImage];
        Images.bytes.CopyTo(pixels);
        cropPixels.CopyTo(pixels.AsSpan(Count * MnistFormat.PixelsPerImage));
        var labels = new byte[Count + count];
        var own = GetLabels();
        for (int i = 0; i < own.Length; i++)
        {
            labels[i] = (byte)own[i];
        }
        cropLabels.CopyTo(labels.AsSpan(Count));
        return FromBytes(pixels, labels, allowNoDigit: true);
    }
}
