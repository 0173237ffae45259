namespace MnistCnn.Core.Reading;

/// <summary>The number read from one line of digits, left to right.</summary>
public sealed class NumberReading
{
    internal NumberReading(IReadOnlyList<ReadDigit> digits)
    {
        Digits = digits;
        Text = string.Concat(digits.Select(d => (char)('0' + d.Digit)));
        Confidence = digits.Aggregate(1f, (product, d) => product * d.Confidence);
    }

    /// <summary>The digits as text, leading zeros kept ("04217").</summary>
    public string Text { get; }

    /// <summary>The product of the digits' confidences: how sure the reader is of the whole number, in [0, 1].</summary>
    public float Confidence { get; }

    /// <summary>Each digit, left to right.</summary>
    public IReadOnlyList<ReadDigit> Digits { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Text} ({Confidence:P1})";
}
