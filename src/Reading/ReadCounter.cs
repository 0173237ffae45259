namespace MnistCnn.Core.Reading;

/// <summary>How many reads are running: a read takes a second core only while they are fewer than half the cores.</summary>
internal sealed class ReadCounter
{
    private int _running;

    /// <summary>Counts a read in and returns how many are running with it.</summary>
    public int Enter() => Interlocked.Increment(ref _running);

    /// <summary>Counts a read out (once for each <see cref="Enter"/>).</summary>
    public void Exit() => Interlocked.Decrement(ref _running);
}
