using MnistCnn.Core.Data;
using MnistCnn.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MnistCnn.Core.Model;

/// <summary>
/// The CNN of the PyTorch MNIST tutorial: three 3x3 convolutions (1→16→32→64, padding 1) each followed by ReLU and
/// 2x2 max-pooling, then fc1 (576→256) and fc2 (256→10), with no activation between them.
/// Input <c>[N, 1, 28, 28]</c> floats in [0, 1]; output <c>[N, 10]</c> logits.
/// Submodules are named as in PyTorch, so <c>state_dict</c> keys match (<c>conv1.weight</c> … <c>fc2.bias</c>).
/// Saving, loading and export are in <c>MnistCnnModule.Persistence.cs</c>.
/// </summary>
public sealed partial class MnistCnnModule : Module<Tensor, Tensor>
{
    // Field names are the state_dict keys: they must stay equal to the PyTorch model's attribute names.
#pragma warning disable IDE1006
    private readonly Conv2d conv1;
    private readonly ReLU relu1;
    private readonly MaxPool2d maxpool1;
    private readonly Conv2d conv2;
    private readonly ReLU relu2;
    private readonly MaxPool2d maxpool2;
    private readonly Conv2d conv3;
    private readonly ReLU relu3;
    private readonly MaxPool2d maxpool3;
    private readonly Linear fc1;
    private readonly Linear fc2;
#pragma warning restore IDE1006

    /// <summary>
    /// Creates the model with PyTorch's default initialisation. A <paramref name="seed"/> makes it reproducible: the
    /// weights PyTorch draws after <c>torch.manual_seed(seed)</c>, drawn from a generator of the model's own, so other
    /// threads drawing random numbers meanwhile change nothing, and the process's random state is left alone.
    /// </summary>
    public MnistCnnModule(long? seed = null)
        : base(LoadRuntimeThen(nameof(MnistCnnModule)))
    {
        // TorchSharp's Conv2d leaves a temporary tensor of its own initialisation undisposed: the scope disposes it, and
        // the parameters leave the scope with the model.
        using var scope = torch.NewDisposeScope();
        conv1 = Conv2d(1, 16, kernel_size: 3, stride: 1, padding: 1);
        relu1 = ReLU();
        maxpool1 = MaxPool2d(kernel_size: 2, stride: 2);
        conv2 = Conv2d(16, 32, kernel_size: 3, stride: 1, padding: 1);
        relu2 = ReLU();
        maxpool2 = MaxPool2d(kernel_size: 2, stride: 2);
        conv3 = Conv2d(32, 64, kernel_size: 3, stride: 1, padding: 1);
        relu3 = ReLU();
        maxpool3 = MaxPool2d(kernel_size: 2, stride: 2);
        fc1 = Linear(64 * 3 * 3, 256);
        fc2 = Linear(256, MnistFormat.ClassCount);
        RegisterComponents();
        if (seed is long s)
        {
            using var generator = new Generator((ulong)s);
            foreach (var (weight, bias) in new[] { (conv1.weight!, conv1.bias!), (conv2.weight!, conv2.bias!), (conv3.weight!, conv3.bias!), (fc1.weight!, fc1.bias!), (fc2.weight!, fc2.bias!) })
            {
                ResetParameters(weight, bias, generator);
            }
        }
        scope.Detach(parameters());
    }

    /// <summary>
    /// What <c>reset_parameters</c> of PyTorch's Conv2d and Linear draws, in the same order and with the same bounds:
    /// <c>kaiming_uniform_(weight, a=sqrt(5))</c>, then the bias uniform in ±1/sqrt(fan_in). (TorchSharp's
    /// <c>nn.init.uniform_</c> ignores its generator argument; <c>Tensor.uniform_</c> honours it.)
    /// </summary>
    private static void ResetParameters(Tensor weight, Tensor bias, Generator generator)
    {
        using var noGrad = torch.no_grad();
        var (fanIn, _) = nn.init.CalculateFanInAndFanOut(weight);
        double gain = Math.Sqrt(2.0 / (1 + Math.Pow(Math.Sqrt(5), 2)));
        double weightBound = Math.Sqrt(3.0) * (gain / Math.Sqrt(fanIn));
        weight.uniform_(-weightBound, weightBound, generator);
        double biasBound = 1 / Math.Sqrt(fanIn);
        bias.uniform_(-biasBound, biasBound, generator);
    }

    // The base constructor already calls into libtorch: check the runtime before it, so a missing backend is explained.
    internal static string LoadRuntimeThen(string name)
    {
        TorchRuntime.EnsureLoaded();
        return name;
    }

    /// <summary>The state_dict keys, in order.</summary>
    public static IReadOnlyList<string> ParameterNames { get; } =
        ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"];

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        if (input.device_type == DeviceType.CPU)
        {
            // libtorch's CPU max-pooling is far slower on NCHW than on channels-last (NHWC) strides, and a convolution keeps
            // its input's layout (src/Training/README.md). With one channel, NCHW and NHWC hold the same bytes: relabelling the
            // strides makes every layer channels-last without copying anything.
            input = AsChannelsLast(input);
        }
        var x = conv1.call(input);

        // Pooling before ReLU gives the same values and gradients (ReLU is monotonic) with a quarter of the ReLU work.
        x = relu1.call(maxpool1.call(x));
        x = relu2.call(maxpool2.call(conv2.call(x)));
        x = relu3.call(maxpool3.call(conv3.call(x)));

        // reshape, not view: it flattens in PyTorch's [C, H, W] order whatever the strides, so fc1's weights line up.
        x = x.reshape(x.size(0), -1);
        x = fc2.call(fc1.call(x));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>A one-channel <c>[N, 1, H, W]</c> batch as a view with NHWC strides, which libtorch reads as channels-last.</summary>
    internal static Tensor AsChannelsLast(Tensor input)
    {
        if (input.dim() != 4 || input.size(1) != 1)
        {
            return input; // not this model's input: conv1 explains what is wrong with it
        }
        var x = input.contiguous();
        return x.as_strided(x.shape, [x.stride(0), 1, x.stride(2), x.stride(3)], x.storage_offset());
    }

    /// <summary>The device the parameters are on.</summary>
    public Device Device => conv1.weight!.device;

    /// <summary>Moves the parameters to <paramref name="device"/>.</summary>
    public MnistCnnModule MoveTo(ComputeDevice device)
    {
        this.to(DeviceSelector.Resolve(device));
        return this;
    }
}
