using TorchSharp;

namespace MnistCnn.Core.Runtime;

/// <summary>Loads TorchSharp once and turns its long loader trace into one actionable exception.</summary>
internal static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True once the first use has tried to load TorchSharp, whatever the outcome.</summary>
    public static bool IsInitialized => LoadFailure.IsValueCreated;

    /// <summary>Returns true once TorchSharp is usable; otherwise throws <see cref="TorchRuntimeException"/>.</summary>
    public static bool EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
        {
            throw Explain(failure);
        }
        return true;
    }

    private static Exception? TryLoad()
    {
        NativeMemoryTuning.Apply();
        try
        {
            if (Environment.GetEnvironmentVariable(LibTorch.DirectoryVariable) is { Length: > 0 } installed)
            {
                LibTorch.Load(installed);
            }
            using var probe = torch.zeros(1);
            Nnpack.TurnOffWhereUnsupported();
            return null;
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or NotSupportedException or EntryPointNotFoundException or BadImageFormatException or TorchRuntimeException)
        {
            return ex;
        }
    }

    internal static TorchRuntimeException Explain(Exception failure) =>
        failure as TorchRuntimeException ?? Explain(failure, OperatingSystem.IsLinux() ? LoaderError() : null);

    internal static TorchRuntimeException Explain(Exception failure, string? loaderError)
    {
        // TorchSharp's own message blames a missing backend whatever the cause; the loader's error names the real one.
        string trace = Flatten(failure) + " | " + loaderError;
        string message;
        if (trace.Contains("GLIBCXX_", StringComparison.Ordinal))
        {
            message = "TorchSharp's native library needs a newer libstdc++ (GLIBCXX_3.4.32, GCC 13) than this system has. "
                + "Build your application without setting MnistCnnLibStdCxxCompat=false so MnistCnn.Core patches the copy in your output, or install libstdc++ from GCC 13 or newer.";
        }
        else if (trace.Contains("doesn't contain a reference to libtorch", StringComparison.OrdinalIgnoreCase)
            || trace.Contains("libtorch-cpu", StringComparison.OrdinalIgnoreCase)
            || failure is DllNotFoundException)
        {
            message = "No TorchSharp backend (the native libtorch) is referenced by your application. "
                + "Add the package TorchSharp-cpu (or TorchSharp-cuda-linux / TorchSharp-cuda-windows for a GPU), version 0.107.0, to your application project.";
        }
        else
        {
            message = $"TorchSharp's native libraries could not be loaded on {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier} ({FirstLine(trace)}). "
                + "Check that your application references TorchSharp-cpu 0.107.0 or a CUDA package for this platform (linux-x64, win-x64 or osx-arm64).";
        }
        return new TorchRuntimeException(message, failure);
    }

    /// <summary>What the dynamic loader says about the application's copy of libLibTorchSharp.so, if it refuses it.</summary>
    private static string? LoaderError()
    {
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, "runtimes", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "native", "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
        ];
        foreach (string path in candidates.Where(File.Exists))
        {
            try
            {
                System.Runtime.InteropServices.NativeLibrary.Free(System.Runtime.InteropServices.NativeLibrary.Load(path));
                return null;
            }
            catch (DllNotFoundException ex)
            {
                return ex.Message;
            }
        }
        return null;
    }

    private static string Flatten(Exception ex)
    {
        var parts = new List<string>();
        for (Exception? e = ex; e != null; e = e.InnerException)
        {
            parts.Add(e.Message);
        }
        return string.Join(" | ", parts);
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
