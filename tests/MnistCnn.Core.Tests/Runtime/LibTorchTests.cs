using MnistCnn.Core.Runtime;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// MNISTCNN_LIBTORCH: the Predict sample started with an installed libtorch's folder. Bad folders and versions are
/// refused with the reason; a compatible one is used.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class LibTorchTests : IDisposable
{
    private static readonly string PredictDll = Built.Dll("samples", "MnistCnn.Predict");
    private static readonly string NativeFolder = Path.Combine(Path.GetDirectoryName(PredictDll)!, "runtimes", "linux-x64", "native");

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int ExitCode, string Stdout, string Stderr) PredictWith(string libTorchDirectory)
    {
        var sample = RealWorldDigits.Generate(1).First(s => s.Digit == 5 && s.Extension == ".png");
        File.WriteAllBytes(_dir.File("five.png"), sample.Encoded);
        return Built.Run(PredictDll, _dir.Path, new Dictionary<string, string> { [LibTorch.DirectoryVariable] = libTorchDirectory }, _dir.File("five.png"));
    }

    /// <summary>A PyTorch-install layout (<c>torch/version.py</c>, <c>torch/lib</c>) over this build's own libtorch files.</summary>
    private string FakeTorchInstall(string version)
    {
        string lib = Directory.CreateDirectory(_dir.File(Path.Combine("torch", "lib"))).FullName;
        foreach (string file in Directory.GetFiles(NativeFolder).Where(f => !Path.GetFileName(f).StartsWith("libLibTorchSharp", StringComparison.Ordinal)))
        {
            File.CreateSymbolicLink(Path.Combine(lib, Path.GetFileName(file)), file);
        }
        File.WriteAllText(_dir.File(Path.Combine("torch", "version.py")), $"__version__ = '{version}'\ngit_version = 'unknown'\n");
        return lib;
    }

    [Fact]
    public void The_version_is_read_from_a_pytorch_install_or_a_libtorch_distribution()
    {
        string torch = FakeTorchInstall("2.11.0+cu130");
        Assert.Equal("2.11.0+cu130", LibTorch.ReadVersion(torch));

        string distribution = Directory.CreateDirectory(_dir.File(Path.Combine("libtorch", "lib"))).FullName;
        File.WriteAllText(_dir.File(Path.Combine("libtorch", "build-version")), "2.10.0+cpu\n");
        Assert.Equal("2.10.0+cpu", LibTorch.ReadVersion(distribution));
        Assert.Null(LibTorch.ReadVersion(_dir.Path));
    }

    [Fact]
    public void A_folder_without_libtorch_is_refused_naming_it()
    {
        var (exit, _, stderr) = PredictWith(_dir.Path);
        Assert.Equal(1, exit);
        Assert.Contains($"{_dir.Path} holds no libtorch.so", stderr);
    }

    [Fact]
    public void An_incompatible_version_is_refused_naming_the_versions_that_work()
    {
        var (exit, _, stderr) = PredictWith(FakeTorchInstall("1.13.1"));
        Assert.Equal(1, exit);
        Assert.Contains("is version 1.13.1; TorchSharp 0.107 works with libtorch 2.10 or 2.11", stderr);
    }

    [Fact]
    public void A_compatible_installed_libtorch_is_used()
    {
        var (exit, stdout, stderr) = PredictWith(FakeTorchInstall("2.10.0+cpu"));
        Assert.True(exit == 0, stderr);
        Assert.EndsWith("\t5\t", stdout.Trim()[..(stdout.Trim().LastIndexOf('\t') + 1)], StringComparison.Ordinal);
    }

    [Fact]
    public void Debians_pytorch_1_13_is_refused_as_incompatible()
    {
        Requires.PythonTorch();
        var (exit, _, stderr) = PredictWith("/usr/lib/python3/dist-packages/torch/lib");
        Assert.Equal(1, exit);
        Assert.Contains("is version 1.13", stderr);
    }
}
