namespace MnistCnn.Core.Reading;

/// <summary>
/// What the best path through a line's candidates weighs besides the classifier's log-probabilities, in the same units.
/// The defaults are checked with the benchmarks' <c>-- read-tune</c> on numbers composed from one half of the MNIST test
/// digits (<c>src/Reading/README.md</c>), so that the evaluation on the other half stays held out.
/// </summary>
internal sealed record ReadingCosts
{
    /// <summary>A cut through the connected strokes of a group no wider than <see cref="NarrowGroup"/> line heights: probably through one digit.</summary>
    public double CutCost { get; init; } = 1.0;

    /// <summary>A cut through a group at least <see cref="SeveralDigits"/> line heights wide (the cost falls linearly in between).</summary>
    public double WideCutCost { get; init; }

    /// <summary>A group this many line heights wide or narrower is taken to hold one digit.</summary>
    public double NarrowGroup { get; init; } = 0.8;

    /// <summary>A group this many line heights wide or wider is taken to hold more than one digit.</summary>
    public double SeveralDigits { get; init; } = 1.1;

    /// <summary>Putting separate groups together as one digit (a 5's flag, a 4 in two strokes).</summary>
    public double JoinCost { get; init; } = 0.5;

    /// <summary>A whole group with less ink than this share of the median group's may be left out as a stray mark...</summary>
    public double StrayInk { get; init; } = 0.15;

    /// <summary>...at this cost.</summary>
    public double SkipCost { get; init; } = 3.0;

    /// <summary>A candidate wider than this many line heights is unlikely to be one digit (two touching ones often are)...</summary>
    public double WideDigit { get; init; } = 0.9;

    /// <summary>...and costs this much per line height beyond it.</summary>
    public double WidthCost { get; init; } = 2.0;

    /// <summary>A candidate shorter than this many line heights is more likely a piece of a digit (a 5's flag, half a broken 1)...</summary>
    public double ShortDigit { get; init; } = 0.6;

    /// <summary>...and costs this much per line height below it.</summary>
    public double HeightCost { get; init; } = 5.0;

    /// <summary>A cut through a group that the pair model reads as one digit costs this times −log(1 − that probability).</summary>
    public double OneDigitCut { get; init; } = 1.0;

    /// <summary>
    /// A group set apart by at least this many line heights from its neighbour on each side (or from one neighbour, at
    /// the line's end)...
    /// </summary>
    public double ApartGap { get; init; } = 0.12;

    /// <summary>...is read as two touching digits at this cost: a writer who leaves gaps between digits seldom joins two.</summary>
    public double ApartPairCost { get; init; } = 1.0;

    /// <summary>Every digit read: a reading of more, smaller digits must be that much surer per extra digit.</summary>
    public double DigitCost { get; init; }

    /// <summary>The defaults.</summary>
    public static ReadingCosts Default { get; } = new();
}
