using MnistCnn.Core.Runtime;
using Xunit;

namespace MnistCnn.Core.Tests;

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
    public void Real_probe_on_this_machine_picks_cpu() =>
        Assert.Equal(ComputeDevice.Cpu, DeviceSelector.Choose(ComputeDevice.Auto, null, TorchDeviceProbe.Instance));
}

public sealed class TorchRuntimeTests
{
    [Fact]
    public void Missing_backend_is_explained_in_two_sentences()
    {
        var cause = new NotSupportedException("This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.\n\nTrace...");
        var ex = TorchRuntime.Explain(new TypeInitializationException("TorchSharp.torch", cause), loaderError: "libtorch_cpu.so: cannot open shared object file: No such file or directory");
        Assert.Contains("Add the package TorchSharp-cpu", ex.Message);
        Assert.Equal(2, ex.Message.Split(". ", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Same(cause, ex.InnerException!.InnerException);
    }

    [Fact]
    public void Old_libstdcxx_is_explained()
    {
        var cause = new NotSupportedException("This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64");
        var ex = TorchRuntime.Explain(cause, loaderError: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by libLibTorchSharp.so)");
        Assert.Contains("GCC 13", ex.Message);
        Assert.Contains("MnistCnnLibStdCxxCompat", ex.Message);
    }

    [Fact]
    public void Loads_here() => Assert.True(TorchRuntime.EnsureLoaded());
}
