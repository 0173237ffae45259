namespace MnistCnn.Core.Reading;

/// <summary>
/// One piece of work for a second core, on a pool thread that starts before the work is known, so that the thread's
/// start-up (a tenth of a millisecond where an idle core must be woken) overlaps what the caller does meanwhile. The
/// thread waits for the work spinning a while (a few milliseconds at most), then blocking. The caller never waits for
/// the thread to start: work that no thread has begun when the caller wants its result, the caller runs itself.
/// </summary>
internal sealed class SideThread<T> : IDisposable
    where T : class?
{
    private const int Waiting = 0, OnSideThread = 1, OnCaller = 2;

    // Not disposed: a thread that starts after the caller is done still waits on it, and returns at once.
    private readonly ManualResetEventSlim _posted = new(initialState: false, spinCount: 2047);
    private readonly Task<T?> _task;
    private Func<T>? _work;
    private int _state;

    /// <summary>Starts the thread, which waits for <see cref="Post"/>.</summary>
    public SideThread()
    {
        _task = Task.Run(Serve);
    }

    /// <summary>Hands the work over (once).</summary>
    public void Post(Func<T> work)
    {
        _work = work;
        _posted.Set();
    }

    /// <summary>The posted work's result, once it is done; its failure is thrown as it is.</summary>
    public T? Result() =>
        Interlocked.CompareExchange(ref _state, OnCaller, Waiting) == Waiting ? _work!() : _task.GetAwaiter().GetResult();

    /// <summary>
    /// Ends the thread's part: the work can no longer start there, and where it runs there, this returns once it is
    /// done (its failure, if any, is not thrown here: <see cref="Result"/> throws it, or the caller has its own).
    /// </summary>
    public void Dispose()
    {
        _posted.Set();
        if (Interlocked.CompareExchange(ref _state, OnCaller, Waiting) == OnSideThread)
        {
            try
            {
                _task.Wait();
            }
            catch (AggregateException)
            {
                // Observed here, so that it is not reported as unobserved.
            }
        }
    }

    private T? Serve()
    {
        _posted.Wait();
        return _work is { } work && Interlocked.CompareExchange(ref _state, OnSideThread, Waiting) == Waiting ? work() : null;
    }
}
