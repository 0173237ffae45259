using MnistCnn.Core.Runtime;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class DeviceSelectorTests
{
    private sealed record Probe(bool IsCudaAvailable, bool IsMpsAvailable) : IDeviceProbe;

    [Theory]
    [InlineData(true, false, ComputeDevice.Cuda)]
    [InlineData(true, true, ComputeDevice.Cuda)]
    [InlineData(false, true, ComputeDevice.Mps)]
    [InlineData(false, false, ComputeDevice.Cpu)]
    public void Auto_prefers_cuda_then_mps_then_cpu(bool cuda, bool mps, ComputeDevice expected) =>
        Assert.Equal(expected, DeviceSelector.Choose(ComputeDevice.Auto, null, new Probe(cuda, mps)));

    [Fact]
    public void Explicit_cpu_wins_over_an_available_gpu() =>
        Assert.Equal(ComputeDevice.Cpu, DeviceSelector.Choose(ComputeDevice.Cpu, "cuda", new Probe(true, false)));

    [Theory]
    [InlineData("cpu", ComputeDevice.Cpu)]
    [InlineData(" CPU ", ComputeDevice.Cpu)]
    [InlineData("cuda", ComputeDevice.Cuda)]
    [InlineData("auto", ComputeDevice.Cuda)]
    [InlineData("", ComputeDevice.Cuda)]
    public void Environment_variable_overrides_auto(string env, ComputeDevice expected) =>
        Assert.Equal(expected, DeviceSelector.Choose(ComputeDevice.Auto, env, new Probe(true, false)));

    [Fact]
    public void Cuda_requested_without_gpu_says_which_package()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => DeviceSelector.Choose(ComputeDevice.Cuda, null, new Probe(false, false)));
        Assert.Contains("TorchSharp-cuda-linux", ex.Message);
    }

    [Fact]
    public void Bad_environment_value_names_the_variable()
    {
        var ex = Assert.Throws<ArgumentException>(() => DeviceSelector.Choose(ComputeDevice.Auto, "tpu", new Probe(false, false)));
        Assert.Contains(DeviceSelector.EnvironmentVariable, ex.Message);
    }

    [Fact]
    public void Real_probe_picks_cuda_exactly_when_libtorch_sees_a_gpu_and_else_the_cpu() =>
        Assert.Equal(
            TorchSharp.torch.cuda.is_available() ? ComputeDevice.Cuda : OperatingSystem.IsMacOS() && TorchSharp.torch.mps_is_available() ? ComputeDevice.Mps : ComputeDevice.Cpu,
            DeviceSelector.Choose(ComputeDevice.Auto, null, TorchDeviceProbe.Instance));
}
