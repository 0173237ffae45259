using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>The test collection that shares one <see cref="MnistFixture"/>: real MNIST, loaded once.</summary>
[CollectionDefinition(Collection)]
public sealed class RealMnist : ICollectionFixture<MnistFixture>
{
    public const string Collection = "real MNIST";
}
