using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace MnistCnn.Core.Runtime;

/// <summary>Resolves a requested <see cref="ComputeDevice"/> into a concrete torch device.</summary>
internal static partial class DeviceSelector
{
    /// <summary>Environment variable that overrides <see cref="ComputeDevice.Auto"/>: <c>cpu</c>, <c>cuda</c> or <c>mps</c>.</summary>
    public const string EnvironmentVariable = "MNISTCNN_DEVICE";

    /// <summary>Chooses the device: an explicit request wins, then the environment variable, then CUDA, MPS, CPU.</summary>
    public static ComputeDevice Choose(ComputeDevice requested, string? environmentValue, IDeviceProbe probe)
    {
        ComputeDevice wanted = requested;
        if (wanted == ComputeDevice.Auto && !string.IsNullOrWhiteSpace(environmentValue))
        {
            wanted = Parse(environmentValue.Trim(), $"environment variable {EnvironmentVariable}");
        }

        return wanted switch
        {
            ComputeDevice.Cuda when !probe.IsCudaAvailable => throw new InvalidOperationException(
                "CUDA was requested but no CUDA device is available. Reference a TorchSharp CUDA package (TorchSharp-cuda-linux or TorchSharp-cuda-windows) on a machine with an NVIDIA GPU, or choose ComputeDevice.Auto or Cpu."),
            ComputeDevice.Mps when !probe.IsMpsAvailable => throw new InvalidOperationException(
                "MPS was requested but is not available; it needs macOS on Apple silicon. Choose ComputeDevice.Auto or Cpu."),
            ComputeDevice.Auto => probe.IsCudaAvailable ? ComputeDevice.Cuda : probe.IsMpsAvailable ? ComputeDevice.Mps : ComputeDevice.Cpu,
            _ => wanted,
        };
    }

    /// <summary>Parses <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>mps</c> (any case).</summary>
    public static ComputeDevice Parse(string value, string source)
    {
        return value.ToLowerInvariant() switch
        {
            "auto" => ComputeDevice.Auto,
            "cpu" => ComputeDevice.Cpu,
            "cuda" or "gpu" => ComputeDevice.Cuda,
            "mps" => ComputeDevice.Mps,
            _ => throw new ArgumentException($"Unknown device '{value}' in {source}; use auto, cpu, cuda or mps."),
        };
    }

    /// <summary>Chooses with the real probe and environment, logs the choice, and returns the torch device.</summary>
    public static torch.Device Resolve(ComputeDevice requested, ILogger? logger = null)
    {
        TorchRuntime.EnsureLoaded();
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        ComputeDevice chosen = Choose(requested, env, TorchDeviceProbe.Instance);
        LogDeviceChosen(logger ?? NullLogger.Instance, chosen, requested, env ?? "");
        return ToTorch(chosen);
    }

    /// <summary>TorchSharp's Device has no value equality: compare type and index.</summary>
    public static bool SameDevice(torch.Device a, torch.Device b) => a.type == b.type && a.index == b.index;

    public static torch.Device ToTorch(ComputeDevice device) => device switch
    {
        ComputeDevice.Cuda => torch.CUDA,
        ComputeDevice.Mps => new torch.Device(DeviceType.MPS),
        _ => torch.CPU,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Using device {Chosen} (requested {Requested}, MNISTCNN_DEVICE='{Environment}')")]
    private static partial void LogDeviceChosen(ILogger logger, ComputeDevice chosen, ComputeDevice requested, string environment);
}
