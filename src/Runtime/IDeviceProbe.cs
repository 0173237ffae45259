namespace MnistCnn.Core.Runtime;

/// <summary>What the machine offers; injectable so the choice logic is testable without a GPU.</summary>
internal interface IDeviceProbe
{
    bool IsCudaAvailable { get; }

    bool IsMpsAvailable { get; }
}
