using TorchSharp;

namespace MnistCnn.Core.Runtime;

/// <summary>Asks TorchSharp.</summary>
internal sealed class TorchDeviceProbe : IDeviceProbe
{
    public static readonly TorchDeviceProbe Instance = new();

    public bool IsCudaAvailable => TorchRuntime.EnsureLoaded() && torch.cuda.is_available();

    public bool IsMpsAvailable => TorchRuntime.EnsureLoaded() && OperatingSystem.IsMacOS() && torch.mps_is_available();
}
