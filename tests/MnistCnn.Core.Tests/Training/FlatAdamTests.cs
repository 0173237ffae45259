using System.Runtime;
using MnistCnn.Core.Model;
using MnistCnn.Core.Training;
using TorchSharp;
using Xunit;
using F = TorchSharp.torch.nn.functional;

namespace MnistCnn.Core.Tests;

/// <summary>The flat-buffer Adam against TorchSharp's per-tensor Adam: same start, same batches, same weights after.</summary>
[Collection(RunAlone.Collection)]
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class FlatAdamTests(ITestOutputHelper output)
{
    private const long NoGcBytes = 64L << 20;

    /// <summary>
    /// TorchSharp's Adam makes its Scalars by implicit conversion inside its step and hands their native handles to
    /// libtorch without keeping them alive (<c>src/Training/README.md</c>): a GC in the middle of the step can finalize
    /// one that libtorch is still reading ("Unknown scalar type" from <c>mul_</c>, seen once in CI). In a no-GC region
    /// nothing the step makes can be finalized before it returns; a region that ended early fails the test. The region is
    /// process-wide, so this class runs alone (<see cref="RunAlone"/>).
    /// </summary>
    private static void StepWithoutGc(MnistCnnModule model, torch.optim.Optimizer optimizer, torch.Tensor x, torch.Tensor y)
    {
        Assert.True(GC.TryStartNoGCRegion(NoGcBytes), "could not start a no-GC region");
        try
        {
            Step(model, optimizer, x, y);
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        }
        finally
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }

    private static void Step(MnistCnnModule model, torch.optim.Optimizer optimizer, torch.Tensor x, torch.Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        F.cross_entropy(model.call(x), y).backward();
        optimizer.step();
    }

    [Fact]
    public void Two_hundred_steps_give_torchsharps_adam_weights_within_1e_5_relative()
    {
        using var digits = SyntheticDigits.Create(640, seed: 4);
        using var reference = new MnistCnnModule(seed: 11);
        using var candidate = new MnistCnnModule(seed: 11);
        using var torchSharpAdam = torch.optim.Adam(reference.parameters(), 1e-3, 0.9, 0.999, 1e-8);
        using var flat = FlatParameters.Attach(candidate);
        using var flatAdam = new FlatAdam(flat, 1e-3);
        reference.train();
        candidate.train();

        using var images = Data.MnistFormat.ToModelInput(digits.Images);
        using var order = torch.randperm(digits.Count, generator: new torch.Generator(5));
        for (int step = 0; step < 200; step++)
        {
            using var scope = torch.NewDisposeScope();
            var batch = order.narrow(0, step * 32 % digits.Count, 32);
            var x = images.index_select(0, batch);
            var y = digits.Labels.index_select(0, batch);
            StepWithoutGc(reference, torchSharpAdam, x, y);
            Step(candidate, flatAdam, x, y);
        }

        var expected = reference.state_dict();
        double largest = 0;
        foreach (var (name, weights) in candidate.state_dict())
        {
            using var difference = (weights - expected[name]).abs().max();
            using var scale = expected[name].abs().max();
            largest = Math.Max(largest, difference.item<float>() / scale.item<float>());
        }
        output.WriteLine($"largest relative difference after 200 steps: {largest:E2}");
        Assert.True(largest <= 1e-5, $"{largest}");
    }

    [Fact]
    public void Gradients_accumulate_in_place_into_the_one_buffer_the_parameters_are_views_of()
    {
        using var model = new MnistCnnModule(seed: 3);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var flat = FlatParameters.Attach(model);

        Assert.All(model.state_dict(), kv => Assert.True(kv.Value.allclose(before[kv.Key], rtol: 0, atol: 0), kv.Key));
        using (var x = torch.rand(4, 1, 28, 28))
        using (var y = torch.tensor(new long[] { 1, 2, 3, 4 }))
        using (var loss = F.cross_entropy(model.call(x), y))
        {
            loss.backward();
        }
        using var gathered = torch.cat(model.parameters().Select(p => p.grad!.flatten()).ToList(), 0);
        Assert.True(gathered.allclose(flat.Gradients, rtol: 0, atol: 0));
        Assert.True(flat.Gradients.abs().sum().item<float>() > 0);

        using Scalar one = 1f.ToScalar();
        using (torch.no_grad())
        {
            flat.Values.add_(one);
        }
        using var scope = torch.NewDisposeScope();
        Assert.All(model.state_dict(), kv => Assert.True(kv.Value.allclose(before[kv.Key] + one), kv.Key));
        foreach (var tensor in before.Values)
        {
            tensor.Dispose();
        }
    }
}
