using System.Globalization;
using MnistCnn.Core.Reading;

namespace MnistCnn.Samples;

/// <summary>How many digits a number has, as the samples take it: "6" (exactly six) or "1-7" (one to seven).</summary>
public static class DigitCounts
{
    /// <summary>The reader's options for <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The text is not a count or a range of counts from 1 to <see cref="DigitReader.MaxDigits"/>.</exception>
    public static ReadOptions Parse(string text)
    {
        var parts = text.Split('-');
        var counts = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts.Length > 2 || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i])
                || counts[i] < 1 || counts[i] > DigitReader.MaxDigits)
            {
                throw new FormatException($"digits must be a count from 1 to {DigitReader.MaxDigits} (6) or a range of counts (1-7), not '{text}'.");
            }
        }
        if (counts[0] > counts[^1])
        {
            throw new FormatException($"digits '{text}': a range runs from the fewer digits to the more (1-7).");
        }
        return new ReadOptions { MinDigits = counts[0], MaxDigits = counts[^1] };
    }
}
