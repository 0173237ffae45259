namespace MnistCnn.Core.Reading;

/// <summary>
/// What a caller knows about the number before it is read: how many digits it may have (a postcode field of five, a
/// meter of six, an amount of one to seven). The reader then chooses the likeliest reading of that length, so that two
/// touching digits read as one, or one wide digit read as two, are ruled out rather than guessed at.
/// </summary>
public sealed class ReadOptions
{
    private readonly int _minDigits = 1;
    private readonly int _maxDigits = DigitReader.MaxDigits;

    /// <summary>The fewest digits the number may have, 1 to <see cref="DigitReader.MaxDigits"/>; 1 by default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to <see cref="DigitReader.MaxDigits"/>.</exception>
    public int MinDigits
    {
        get => _minDigits;
        init => _minDigits = CheckDigits(value);
    }

    /// <summary>The most digits the number may have, 1 to <see cref="DigitReader.MaxDigits"/>; <see cref="DigitReader.MaxDigits"/> by default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to <see cref="DigitReader.MaxDigits"/>.</exception>
    public int MaxDigits
    {
        get => _maxDigits;
        init => _maxDigits = CheckDigits(value);
    }

    /// <summary>Options for a number of exactly <paramref name="digits"/> digits.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="digits"/> is outside 1 to <see cref="DigitReader.MaxDigits"/>.</exception>
    public static ReadOptions Exactly(int digits) => new() { MinDigits = digits, MaxDigits = digits };

    /// <summary>Throws unless <see cref="MinDigits"/> is at most <see cref="MaxDigits"/>.</summary>
    internal void Validate(string paramName)
    {
        if (MinDigits > MaxDigits)
        {
            throw new ArgumentException($"MinDigits ({MinDigits}) is more than MaxDigits ({MaxDigits}).", paramName);
        }
    }

    private static int CheckDigits(int value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, DigitReader.MaxDigits, name);
        return value;
    }
}
