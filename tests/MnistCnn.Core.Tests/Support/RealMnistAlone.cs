using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// Real MNIST for tests that measure this process's resident memory: they run after every parallel collection has
/// finished, alone, so no other test's allocations count against them.
/// </summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class RealMnistAlone : ICollectionFixture<MnistFixture>
{
    public const string Collection = "real MNIST, run alone";
}
