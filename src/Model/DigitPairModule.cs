using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MnistCnn.Core.Model;

/// <summary>
/// The reader's second network: a candidate wide enough for two digits, as <see cref="Reading.PairInput"/> frames it
/// (1 x 28 x 48), goes to one of <see cref="Classes"/> classes: the ordered pairs 00 to 99 (class 10a + b), one digit,
/// or neither. The tutorial's three convolution blocks, with a ReLU and dropout between the two linear layers
/// (<c>src/Reading/README.md</c> has its recipe and figures).
/// </summary>
internal sealed class DigitPairModule : Module<Tensor, Tensor>
{
    public const int Height = 28, Width = 48, Classes = 102, OneDigit = 100, Neither = 101;

    private const int Channels1 = 16, Channels2 = 32, Channels3 = 64, Hidden = 256;

    // Field names are the state_dict keys, the same as MnistCnnModule's.
#pragma warning disable IDE1006
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Dropout dropout;
#pragma warning restore IDE1006

    public DigitPairModule()
        : base(MnistCnnModule.LoadRuntimeThen(nameof(DigitPairModule)))
    {
        using var scope = torch.NewDisposeScope();
        conv1 = Conv2d(1, Channels1, kernel_size: 3, padding: 1);
        conv2 = Conv2d(Channels1, Channels2, kernel_size: 3, padding: 1);
        conv3 = Conv2d(Channels2, Channels3, kernel_size: 3, padding: 1);
        fc1 = Linear(Channels3 * (Height / 8) * (Width / 8), Hidden);
        fc2 = Linear(Hidden, Classes);
        dropout = Dropout(0.3);
        RegisterComponents();
        scope.Detach(parameters());
    }

    /// <summary>Loads weights written by TorchSharp's <c>save</c> (the embedded ones), checked before any parameter changes.</summary>
    public static DigitPairModule Load(Stream stream, string source)
    {
        var model = new DigitPairModule();
        try
        {
            var weights = TorchSharpWeightsFormat.Read(stream, source);
            try
            {
                WeightsFile.CopyInto(model, weights, source, nameof(DigitPairModule));
            }
            finally
            {
                WeightsFile.DisposeAll(weights);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = input.device_type == DeviceType.CPU ? MnistCnnModule.AsChannelsLast(input) : input;
        x = functional.relu(functional.max_pool2d(conv1.call(x), 2));
        x = functional.relu(functional.max_pool2d(conv2.call(x), 2));
        x = functional.relu(functional.max_pool2d(conv3.call(x), 2));
        x = fc2.call(dropout.call(functional.relu(fc1.call(x.reshape(x.size(0), -1)))));
        return x.MoveToOuterDisposeScope();
    }
}
