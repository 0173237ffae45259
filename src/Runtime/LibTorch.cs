using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace MnistCnn.Core.Runtime;

/// <summary>
/// Runs TorchSharp on a libtorch that is already installed, for example the CUDA build inside a PyTorch installation
/// (its <c>torch/lib</c> folder), instead of the one a TorchSharp backend package ships. Either set the environment
/// variable <see cref="DirectoryVariable"/> or call <see cref="UseInstalled"/> before anything else touches TorchSharp.
/// The folder's libtorch version must be one TorchSharp 0.107 works with (<see cref="CompatibleVersions"/>).
/// </summary>
public static partial class LibTorch
{
    /// <summary>The environment variable naming an installed libtorch's <c>lib</c> folder.</summary>
    public const string DirectoryVariable = "MNISTCNN_LIBTORCH";

    // Loaded in dependency order; the CUDA ones only where the build has them.
    private static readonly string[] Libraries = ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];

    /// <summary>The libtorch versions (major.minor) TorchSharp 0.107 is known to work with.</summary>
    public static IReadOnlyList<string> CompatibleVersions { get; } = ["2.10", "2.11"];

    /// <summary>
    /// Loads libtorch from <paramref name="directory"/> (a PyTorch install's <c>torch/lib</c>, or a libtorch
    /// distribution's <c>lib</c>) after checking its version, so TorchSharp binds to it. Call it once, first.
    /// </summary>
    /// <exception cref="TorchRuntimeException">The folder holds no libtorch, an incompatible version, or libraries that do not load.</exception>
    /// <exception cref="InvalidOperationException">TorchSharp is already in use in this process.</exception>
    public static void UseInstalled(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (TorchRuntime.IsInitialized)
        {
            throw new InvalidOperationException($"TorchSharp is already loaded in this process; call LibTorch.UseInstalled(\"{directory}\") (or set {DirectoryVariable}) before anything else uses it.");
        }
        Load(directory);
    }

    /// <summary>Checks and loads the libtorch in <paramref name="directory"/>; throws <see cref="TorchRuntimeException"/> naming the problem.</summary>
    internal static void Load(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new TorchRuntimeException($"{DirectoryVariable} / LibTorch.UseInstalled is supported on Linux only; on this system use a TorchSharp backend package.", null);
        }
        string full = Path.GetFullPath(directory);
        if (!File.Exists(Path.Combine(full, "libtorch.so")))
        {
            throw new TorchRuntimeException($"{full} holds no libtorch.so. Point {DirectoryVariable} at the lib folder of a PyTorch install (python3 -c \"import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))\") or of a libtorch distribution.", null);
        }
        string version = ReadVersion(full)
            ?? throw new TorchRuntimeException($"The libtorch in {full} does not say its version (no ../version.py as in a PyTorch install, no ../build-version as in a libtorch distribution), so its compatibility with TorchSharp 0.107 cannot be checked.", null);
        if (!CompatibleVersions.Any(v => version.StartsWith(v + ".", StringComparison.Ordinal)))
        {
            throw new TorchRuntimeException($"The libtorch in {full} is version {version}; TorchSharp 0.107 works with libtorch {string.Join(" or ", CompatibleVersions)}. Install a PyTorch of one of those versions, or use the TorchSharp-cpu / TorchSharp-cuda packages.", null);
        }
        foreach (string library in Libraries.Select(l => Path.Combine(full, l)).Where(File.Exists))
        {
            try
            {
                NativeLibrary.Load(library);
            }
            catch (DllNotFoundException ex)
            {
                throw new TorchRuntimeException($"{library} (libtorch {version}) did not load: {ex.Message}", ex);
            }
        }
    }

    /// <summary>The version a PyTorch install (<c>torch/version.py</c>) or a libtorch distribution (<c>build-version</c>) records beside its lib folder.</summary>
    internal static string? ReadVersion(string libDirectory)
    {
        string parent = Path.GetDirectoryName(libDirectory.TrimEnd(Path.DirectorySeparatorChar)) ?? libDirectory;
        string versionPy = Path.Combine(parent, "version.py");
        if (File.Exists(versionPy) && VersionPy().Match(File.ReadAllText(versionPy)) is { Success: true } match)
        {
            return match.Groups[1].Value;
        }
        string buildVersion = Path.Combine(parent, "build-version");
        if (!File.Exists(buildVersion))
        {
            return null;
        }
        string text = File.ReadAllText(buildVersion).Trim();
        return text.Length > 0 ? text : null;
    }

    [GeneratedRegex(@"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline, "en-US")]
    private static partial Regex VersionPy();
}
