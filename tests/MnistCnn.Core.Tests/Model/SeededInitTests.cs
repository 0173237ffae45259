using MnistCnn.Core.Model;
using TorchSharp;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// A seed gives PyTorch's weights for that seed, whatever other threads draw meanwhile. Alone in its collection: the
/// reference path below draws from the process's own generator, which parallel tests would draw from too.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
[Collection(RealMnistAlone.Collection)]
public sealed class SeededInitTests
{
    private static void AssertSameWeights(MnistCnnModule expected, MnistCnnModule actual)
    {
        var reference = expected.state_dict();
        foreach (var (name, weights) in actual.state_dict())
        {
            Assert.True(weights.equal(reference[name]).all().item<bool>(), $"{name} differs");
        }
    }

    [Fact]
    public void A_seed_gives_the_weights_drawn_after_manual_seed_bit_for_bit()
    {
        torch.manual_seed(7);
        using var globalDraw = new MnistCnnModule();
        using var seeded = new MnistCnnModule(seed: 7);
        AssertSameWeights(globalDraw, seeded);
    }

    [Fact]
    public async Task Seeded_models_built_while_another_thread_draws_random_numbers_are_equal()
    {
        using var first = new MnistCnnModule(seed: 21);
        using var stop = new CancellationTokenSource();
        var drawing = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                torch.rand(1000).Dispose();
            }
        }, TestContext.Current.CancellationToken);
        try
        {
            for (int i = 0; i < 20; i++)
            {
                using var again = new MnistCnnModule(seed: 21);
                AssertSameWeights(first, again);
            }
        }
        finally
        {
            stop.Cancel();
            await drawing;
        }
    }
}
