using MnistCnn.Core.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MnistCnn.Core.Tests;

/// <summary>
/// The module runs channels-last and pools before ReLU on the CPU for speed; it must compute exactly what the
/// tutorial's forward (NCHW, conv → ReLU → pool) computes, values and gradients.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class ModelLayoutTests
{
    private static readonly long[] Pad = [1, 1];

    private static Tensor TutorialForward(Dictionary<string, Tensor> p, Tensor x)
    {
        var y = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding: Pad)), 2, 2);
        y = F.max_pool2d(F.relu(F.conv2d(y, p["conv2.weight"], p["conv2.bias"], padding: Pad)), 2, 2);
        y = F.max_pool2d(F.relu(F.conv2d(y, p["conv3.weight"], p["conv3.bias"], padding: Pad)), 2, 2);
        y = y.view(y.size(0), -1);
        return F.linear(F.linear(y, p["fc1.weight"], p["fc1.bias"]), p["fc2.weight"], p["fc2.bias"]);
    }

    [Fact]
    public void Channels_last_forward_and_gradients_equal_the_tutorials_nchw_ones()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MnistCnnModule(seed: 3);
        var x = torch.rand(new long[] { 16, 1, 28, 28 }, generator: new Generator(5));
        var target = torch.randint(0, 10, new long[] { 16 }, generator: new Generator(6));
        var reference = model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.detach().clone().requires_grad_(true));

        var ours = model.call(x);
        var theirs = TutorialForward(reference, x);
        Assert.True(ours.allclose(theirs, rtol: 1e-5, atol: 1e-5), $"max logit difference {(ours - theirs).abs().max().item<float>()}");

        F.cross_entropy(ours, target).backward();
        F.cross_entropy(theirs, target).backward();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var expected = reference[name].grad!;
            Assert.True(parameter.grad!.allclose(expected, rtol: 1e-4, atol: 1e-6), $"{name}: max gradient difference {(parameter.grad! - expected).abs().max().item<float>()}");
        }
    }
}
