using Google.Protobuf;
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
/// </summary>
public sealed class MnistCnnModule : Module<Tensor, Tensor>
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
    private static string LoadRuntimeThen(string name)
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
    private static Tensor AsChannelsLast(Tensor input)
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

    /// <summary>
    /// Saves the weights to <paramref name="path"/> in TorchSharp's format. The file is written beside the target,
    /// flushed and renamed over it, so an interrupted save never leaves a truncated model behind.
    /// </summary>
    public void SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        StagedFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            save(writer);
            writer.Flush();
        });
    }

    /// <summary>
    /// Saves the weights as a PyTorch <c>state_dict</c> (<c>.pth</c>) that the tutorial's <c>MNISTModel</c> accepts with
    /// <c>model.load_state_dict(torch.load(path))</c>. Written atomically, like <see cref="SaveWeights"/>.
    /// </summary>
    public void SavePyTorch(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var weights = CloneWeights();
        try
        {
            StagedFile.Write(path, stream => WeightsFile.WritePyTorch(stream, weights));
        }
        finally
        {
            WeightsFile.DisposeAll(weights);
        }
    }

    /// <summary>
    /// Exports the model as ONNX (opset 13) for <see cref="Inference.OnnxDigitClassifier"/> or any ONNX runtime: input
    /// <c>input</c> float <c>[N, 1, 28, 28]</c> with a dynamic batch dimension, output <c>logits</c> <c>[N, 10]</c>.
    /// Written atomically, like <see cref="SaveWeights"/>.
    /// </summary>
    public void ExportOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var weights = CloneWeights();
        try
        {
            var onnx = OnnxExporter.Build(weights);
            StagedFile.Write(path, stream => onnx.WriteTo(stream));
        }
        finally
        {
            WeightsFile.DisposeAll(weights);
        }
    }

    /// <summary>
    /// Loads weights saved by <see cref="SaveWeights"/>, or a PyTorch <c>state_dict</c> (recognised by content), into this model. The file is read and checked completely
    /// before any parameter changes, so a bad file leaves the model as it was.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a model of this architecture.</exception>
    public void LoadWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = WeightsFile.OpenRead(path);
        LoadWeights(stream, path);
    }

    /// <summary>
    /// Loads weights from a seekable stream holding what <see cref="SaveWeights"/> or <see cref="SavePyTorch"/> writes, or a
    /// PyTorch <c>state_dict</c> (recognised by content); <paramref name="sourceName"/> names it in errors.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is not a model of this architecture.</exception>
    public void LoadWeights(Stream stream, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        CopyAndDispose(WeightsFile.LooksLikePyTorch(stream) ? WeightsFile.ReadPyTorch(stream, sourceName) : WeightsFile.ReadTorchSharp(stream, sourceName), sourceName);
    }

    /// <summary>Creates a model from a weights file.</summary>
    public static MnistCnnModule FromFile(string path)
    {
        var model = new MnistCnnModule();
        try
        {
            model.LoadWeights(path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void CopyAndDispose(Dictionary<string, Tensor> weights, string sourceName)
    {
        try
        {
            CopyFrom(weights, sourceName);
        }
        finally
        {
            WeightsFile.DisposeAll(weights);
        }
    }

    /// <summary>Copies every parameter from <paramref name="weights"/> after checking that names and shapes all match.</summary>
    internal void CopyFrom(IReadOnlyDictionary<string, Tensor> weights, string sourceName)
    {
        var own = state_dict();
        WeightsFile.CheckCompatible(own.ToDictionary(kv => kv.Key, kv => kv.Value.shape), weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape), sourceName);
        using (torch.no_grad())
        {
            foreach (var (name, target) in own)
            {
                target.copy_(weights[name]);
            }
        }
    }

    /// <summary>A detached copy of every parameter on the CPU (a real copy, unlike PyTorch's <c>state_dict()</c>).</summary>
    internal Dictionary<string, Tensor> CloneWeights()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone().MoveToOuterDisposeScope());
    }
}
