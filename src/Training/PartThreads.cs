using System.Runtime.ExceptionServices;
using TorchSharp;

namespace MnistCnn.Core.Training;

/// <summary>
/// Runs the parts of a batch side by side: part 0 on the caller, each other part on a thread of its own, every one of
/// them with <see cref="ThreadsPerPart"/> libtorch intra-op threads. Owned by one <see cref="Trainer.Fit"/>: dedicated
/// threads rather than the thread pool, so no pool thread keeps the changed thread setting after training.
/// </summary>
internal sealed class PartThreads : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done;
    private readonly ExceptionDispatchInfo?[] _errors;
    private Action<int>? _work;
    private volatile bool _stopping;

    public PartThreads(int parts, int threadsPerPart)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(threadsPerPart, 1);
        Parts = parts;
        ThreadsPerPart = threadsPerPart;
        _errors = new ExceptionDispatchInfo?[parts];
        _done = new CountdownEvent(parts - 1);
        _start = new SemaphoreSlim[parts - 1];
        _threads = new Thread[parts - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int part = i + 1;
            _start[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Loop(part)) { IsBackground = true, Name = $"MnistCnn batch part {part}" };
            _threads[i].Start();
        }
    }

    /// <summary>
    /// How many parts to split a batch of <paramref name="batchSize"/> into on <paramref name="cores"/> cores, and the
    /// intra-op threads of each: one part per core while each keeps at least <paramref name="minimumPartSize"/> images,
    /// since a pass has a fixed cost that small parts cannot spread; the cores left over go to the parts' own threads.
    /// </summary>
    public static (int Parts, int ThreadsPerPart) Plan(int cores, int batchSize, int minimumPartSize)
    {
        int parts = Math.Max(1, Math.Min(cores, batchSize / minimumPartSize));
        return (parts, Math.Max(1, cores / parts));
    }

    public int Parts { get; }

    public int ThreadsPerPart { get; }

    /// <summary>Runs <paramref name="work"/> for every part and returns when all are done; rethrows the first part's exception.</summary>
    public void Run(Action<int> work)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        _work = work;
        Array.Clear(_errors);
        _done.Reset();
        foreach (var start in _start)
        {
            start.Release();
        }
        RunPart(0);
        _done.Wait();
        _work = null;
        _errors.FirstOrDefault(e => e is not null)?.Throw();
    }

    private void Loop(int part)
    {
        bool threadsSet = false;
        while (true)
        {
            _start[part - 1].Wait();
            if (_stopping)
            {
                return;
            }
            if (!threadsSet)
            {
                // Thread-local in libtorch (OpenMP and MKL): set on this thread, for this thread's lifetime.
                torch.set_num_threads(ThreadsPerPart);
                threadsSet = true;
            }
            RunPart(part);
            _done.Signal();
        }
    }

    private void RunPart(int part)
    {
        try
        {
            _work!(part);
        }
        catch (Exception ex)
        {
            _errors[part] = ExceptionDispatchInfo.Capture(ex);
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        foreach (var start in _start)
        {
            start.Release();
        }
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        foreach (var start in _start)
        {
            start.Dispose();
        }
        _done.Dispose();
    }
}
