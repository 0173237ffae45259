using MnistCnn.Core.Data;
using MnistCnn.Core.Runtime;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>The dataset's tensors on the training device: the originals on the CPU, copies elsewhere.</summary>
internal sealed class DeviceCopies : IDisposable
{
    private readonly bool _owned;

    public DeviceCopies(MnistDataset dataset, Device device)
    {
        _owned = !DeviceSelector.SameDevice(dataset.Images.device, device);
        Images = _owned ? dataset.Images.to(device) : dataset.Images;
        Labels = _owned ? dataset.Labels.to(device) : dataset.Labels;
    }

    public Tensor Images { get; }

    public Tensor Labels { get; }

    public void Dispose()
    {
        if (_owned)
        {
            Images.Dispose();
            Labels.Dispose();
        }
    }
}
