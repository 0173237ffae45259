using MnistCnn.Core.Build;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class LibStdCxxPatchTests
{
    private static string NuGetCopy => Path.Combine(
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Patches_the_one_marker_requirement_and_nothing_else()
    {
        byte[] original = File.ReadAllBytes(NuGetCopy);
        byte[] patched = (byte[])original.Clone();
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.Apply(patched, ElfVersionPatcher.Glibcxx332, ElfVersionPatcher.KnownMarkerSymbols, out _));
        Assert.Equal(1, original.Zip(patched).Count(p => p.First != p.Second));
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.Apply(patched, ElfVersionPatcher.Glibcxx332, ElfVersionPatcher.KnownMarkerSymbols, out _));
    }

    [Fact]
    public void Refuses_when_another_symbol_has_the_version()
    {
        byte[] bytes = File.ReadAllBytes(NuGetCopy);
        Assert.Equal(ElfPatchOutcome.Unsafe, ElfVersionPatcher.Apply(bytes, ElfVersionPatcher.Glibcxx332, [], out string detail));
        Assert.Contains("_ZSt21ios_base_library_initv", detail);
    }

    [Fact]
    public void Leaves_files_without_the_requirement_alone()
    {
        byte[] bytes = File.ReadAllBytes(NuGetCopy);
        Assert.Equal(ElfPatchOutcome.NotRequired, ElfVersionPatcher.Apply(bytes, "GLIBCXX_9.9.99", ElfVersionPatcher.KnownMarkerSymbols, out _));
        Assert.Equal(ElfPatchOutcome.NotElf, ElfVersionPatcher.Apply("not an elf file at all, just text...."u8.ToArray().Concat(new byte[64]).ToArray(), ElfVersionPatcher.Glibcxx332, [], out _));
    }

    [Fact]
    public void The_build_patched_the_output_copy_but_not_the_nuget_cache()
    {
        string? libstdcxx = ElfVersionPatcher.FindSystemLibStdCxx();
        Assert.NotNull(libstdcxx);
        bool needed = !ElfVersionPatcher.DefinesVersion(File.ReadAllBytes(libstdcxx!), ElfVersionPatcher.Glibcxx332);
        var expectedOutput = needed ? ElfPatchOutcome.AlreadyWeak : ElfPatchOutcome.Patched;
        Assert.Equal(expectedOutput, ElfVersionPatcher.Apply(File.ReadAllBytes(OutputCopy), ElfVersionPatcher.Glibcxx332, ElfVersionPatcher.KnownMarkerSymbols, out _));
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.Apply(File.ReadAllBytes(NuGetCopy), ElfVersionPatcher.Glibcxx332, ElfVersionPatcher.KnownMarkerSymbols, out _));
    }
}
