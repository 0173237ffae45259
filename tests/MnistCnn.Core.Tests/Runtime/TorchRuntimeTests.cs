using MnistCnn.Core.Runtime;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
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
    public void TorchSharp_loads_on_this_machine() => Assert.True(TorchRuntime.EnsureLoaded());

    [Fact]
    public void Libtorch_asks_for_NNPACK_only_where_NNPACK_can_run()
    {
        Assert.True(TorchRuntime.EnsureLoaded());
        var state = Nnpack.Probe();
        Assert.True(state is not null, "this libtorch no longer exports nnp_initialize or at::Context's NNPACK switch: check Nnpack.cs against it");
        Assert.Equal(state.Value.Supported, state.Value.Enabled);
    }

    [Fact]
    [Trait(TestCategory.Name, TestCategory.Integration)]
    public void Predictions_write_nothing_to_stderr()
    {
        // One image at a time is where libtorch asks for NNPACK, and where it cannot run writes a warning per convolution.
        using var dir = new TempDir();
        var (exit, stdout, stderr) = Built.Run(Built.Dll("tests", "MnistCnn.Core.CrashHelper"), dir.Path, "predict-batch", "1,1,2,16,1");
        Assert.True(exit == 0, stderr);
        Assert.Equal("predicted", stdout.Trim());
        Assert.Equal("", stderr.Trim());
    }
}
