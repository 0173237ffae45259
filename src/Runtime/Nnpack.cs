using System.Runtime.InteropServices;

namespace MnistCnn.Core.Runtime;

/// <summary>
/// libtorch asks for NNPACK on every CPU convolution that its oneDNN path declines (one image at a time, as in
/// <c>Predict</c>), and where NNPACK cannot run on the CPU (some virtual machines report no usable cache topology)
/// libtorch 2.10 writes "Could not initialize NNPACK! Reason: Unsupported hardware." to stderr on each such call: three
/// lines per prediction of this model. Where NNPACK reports so, it is turned off in libtorch, which then never asks: no
/// convolution changes, since an unsupported NNPACK never ran one. Where NNPACK works, nothing is touched.
/// </summary>
internal static unsafe class Nnpack
{
    private const string LibTorchCpu = "libtorch_cpu.so";

    /// <summary>NNPACK's own initialisation, idempotent and silent: 0 (<c>nnp_status_success</c>) where it can run.</summary>
    private const string Initialize = "nnp_initialize";

    private const string GlobalContext = "_ZN2at13globalContextEv";
    private const string SetUserEnabled = "_ZN2at7Context20setUserEnabledNNPACKEb";
    private const string UserEnabled = "_ZNK2at7Context17userEnabledNNPACKEv";

    /// <summary>
    /// Turns NNPACK off in the loaded libtorch where NNPACK says the CPU is unsupported. Does nothing where NNPACK runs,
    /// off Linux, or where this libtorch does not export what it needs.
    /// </summary>
    public static void TurnOffWhereUnsupported()
    {
        if (Probe() is { Supported: false, Enabled: true })
        {
            WithLibTorch(library =>
            {
                var context = ((delegate* unmanaged<nint>)NativeLibrary.GetExport(library, GlobalContext))();
                ((delegate* unmanaged<nint, byte, void>)NativeLibrary.GetExport(library, SetUserEnabled))(context, 0);
                return true;
            });
        }
    }

    /// <summary>
    /// Whether NNPACK can run on this CPU and whether libtorch will ask for it, once libtorch is loaded; null off Linux
    /// or where this libtorch does not export the functions.
    /// </summary>
    public static (bool Supported, bool Enabled)? Probe() => WithLibTorch(library =>
    {
        if (!NativeLibrary.TryGetExport(library, Initialize, out var initialize)
            || !NativeLibrary.TryGetExport(library, GlobalContext, out var globalContext)
            || !NativeLibrary.TryGetExport(library, SetUserEnabled, out _)
            || !NativeLibrary.TryGetExport(library, UserEnabled, out var userEnabled))
        {
            return ((bool, bool)?)null;
        }
        bool supported = ((delegate* unmanaged<int>)initialize)() == 0;
        var context = ((delegate* unmanaged<nint>)globalContext)();
        bool enabled = ((delegate* unmanaged<nint, byte>)userEnabled)(context) != 0;
        return (supported, enabled);
    });

    /// <summary>Runs <paramref name="use"/> on the libtorch the process has loaded (the caller has loaded it); default where there is none.</summary>
    private static T? WithLibTorch<T>(Func<nint, T> use)
    {
        // dlopen of a bare soname returns the library the process has already loaded under that name.
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(LibTorchCpu, out var library))
        {
            return default;
        }
        try
        {
            return use(library);
        }
        finally
        {
            NativeLibrary.Free(library);
        }
    }
}
