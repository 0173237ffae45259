using System.Runtime.InteropServices;

namespace MnistCnn.Core.Runtime;

/// <summary>
/// Fewer page faults on Linux, when the application asks for it (see src/Runtime/README.md): glibc's malloc gives freed
/// memory at the top of the heap back to the OS above a small trim threshold, which grows only after a large block is
/// freed, so until then every training batch page-faults its few MB of activations afresh. Raising the trim and mmap
/// thresholds removes that. It changes malloc for the whole process, so it is off unless the app sets the AppContext
/// switch <see cref="Switch"/> (the samples do) or MNISTCNN_MALLOC_TUNING=1; MNISTCNN_MALLOC_TUNING=0 turns it off.
/// Buffers above the mmap threshold (the 47 MB of training images) are fresh memory every time:
/// <see cref="AdviseHugePages"/> lets the kernel back those, which this library allocates itself, with huge pages.
/// </summary>
internal static partial class NativeMemoryTuning
{
    public const string Switch = "MnistCnn.Core.TuneNativeMemory";

    public const string OptOutVariable = "MNISTCNN_MALLOC_TUNING";

    /// <summary>True when the application asked for the malloc tuning and the environment does not refuse it.</summary>
    public static bool Requested => Environment.GetEnvironmentVariable(OptOutVariable) switch
    {
        "0" => false,
        "1" => true,
        _ => AppContext.TryGetSwitch(Switch, out bool on) && on,
    };

    private const int MadvHugePage = 14;

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || !Requested)
        {
            return;
        }
        try
        {
            _ = Mallopt(MTrimThreshold, 256 << 20);
            _ = Mallopt(MMmapThreshold, 32 << 20);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt): nothing to tune.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);

    /// <summary>
    /// Asks for transparent huge pages under a large buffer that is about to be filled: one page fault per 2 MB instead
    /// of per 4 KB, for the 47 MB of MNIST training images. Advice only, on memory this library owns: contents are
    /// unaffected, and it does nothing where unsupported or with MNISTCNN_MALLOC_TUNING=0.
    /// </summary>
    public static unsafe void AdviseHugePages(Span<byte> buffer)
    {
        if (!OperatingSystem.IsLinux() || buffer.Length < (4 << 20) || Environment.GetEnvironmentVariable(OptOutVariable) == "0")
        {
            return;
        }
        nint page = Environment.SystemPageSize;
        fixed (byte* start = buffer)
        {
            nint first = ((nint)start + page - 1) & ~(page - 1); // madvise wants page-aligned ranges
            nint end = ((nint)start + buffer.Length) & ~(page - 1);
            try
            {
                _ = Madvise(first, end - first, MadvHugePage);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // No madvise: nothing to advise.
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nint length, int advice);
}
