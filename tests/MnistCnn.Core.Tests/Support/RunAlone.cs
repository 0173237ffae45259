using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// Tests that hold a no-GC region: it is process-wide, so they run after every parallel collection has finished, one at
/// a time, where no other test's allocations end it early.
/// </summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class RunAlone
{
    public const string Collection = "run alone, for no-GC regions";
}
