using System.Runtime.InteropServices;

namespace MnistCnn.Core.Runtime;

/// <summary>
/// Fewer page faults on Linux, set once at load; set MNISTCNN_MALLOC_TUNING=0 to opt out.
/// glibc's malloc returns freed memory at the top of the heap to the OS once it exceeds a small trim threshold that
/// grows only after a large block is freed. Training frees a few MB of activations every batch, so until then each
/// batch page-faults its buffers afresh, and the first epoch runs several times slower (README, Performance).
/// Raising the trim and mmap thresholds removes that. Buffers above the mmap threshold (the 47 MB of training images)
/// are fresh memory every time: <see cref="AdviseHugePages"/> lets the kernel back them with transparent huge pages.
/// </summary>
internal static partial class NativeMemoryTuning
{
    public const string OptOutVariable = "MNISTCNN_MALLOC_TUNING";

    private const int MadvHugePage = 14;

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(OptOutVariable) == "0")
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
    /// of per 4 KB, for the 47 MB of MNIST training images. Advice only: contents are unaffected, and it does nothing
    /// where unsupported or opted out. Not applied to libtorch's allocations in general (THP_MEM_ALLOC_ENABLE), which
    /// slowed training (README, Performance).
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
