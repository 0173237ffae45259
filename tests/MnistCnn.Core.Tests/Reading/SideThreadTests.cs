using MnistCnn.Core.Reading;
using Xunit;

namespace MnistCnn.Core.Tests;

public sealed class SideThreadTests(ITestOutputHelper output)
{
    [Fact]
    public void The_posted_work_runs_once_on_whichever_thread_gets_to_it_first_and_gives_its_result()
    {
        int onCaller = 0;
        for (int i = 0; i < 1000; i++)
        {
            int runs = 0, caller = Environment.CurrentManagedThreadId;
            int ranOn = -1;
            string? result;
            using (var side = new SideThread<string>())
            {
                side.Post(() =>
                {
                    Interlocked.Increment(ref runs);
                    ranOn = Environment.CurrentManagedThreadId;
                    return $"work {i}";
                });
                // Asked for at once, the work is often not yet begun and the caller runs it itself; every tenth round the
                // caller is busy a while first, as a reader is, and the side thread has taken it by then.
                if (i % 10 == 0)
                {
                    Thread.Sleep(2);
                }
                result = side.Result();
            }
            Assert.Equal($"work {i}", result);
            Assert.Equal(1, Volatile.Read(ref runs));
            onCaller += ranOn == caller ? 1 : 0;
        }
        output.WriteLine($"1,000 works: {onCaller} run by the caller (not started elsewhere), {1000 - onCaller} on the side thread");
    }

    [Fact]
    public void A_failure_of_the_work_is_thrown_as_it_is()
    {
        using var side = new SideThread<string>();
        side.Post(() => throw new InvalidDataException("the work failed"));
        var thrown = Assert.Throws<InvalidDataException>(() => side.Result());
        Assert.Equal("the work failed", thrown.Message);
    }

    [Fact]
    public void Ending_without_work_returns_at_once_and_ending_during_work_waits_for_it()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 200; i++)
        {
            using var idle = new SideThread<string>();
        }
        output.WriteLine($"200 side threads ended without work in {watch.Elapsed.TotalMilliseconds:F0} ms");

        // The caller fails while the side thread works on data the caller owns: ending must wait, or the caller would
        // return (and free that data) under it.
        using var started = new ManualResetEventSlim();
        bool finished = false;
        var side = new SideThread<string>();
        side.Post(() =>
        {
            started.Set();
            Thread.Sleep(300);
            Volatile.Write(ref finished, true);
            throw new InvalidOperationException("ignored: the caller's failure is the one reported");
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the side thread did not start in 30 s");
        side.Dispose();
        Assert.True(Volatile.Read(ref finished));
    }

    [Fact]
    public void Work_that_no_thread_began_before_the_end_never_runs()
    {
        int runs = 0;
        for (int i = 0; i < 500; i++)
        {
            using var side = new SideThread<string>();
            side.Post(() =>
            {
                Interlocked.Increment(ref runs);
                return "";
            });
            // Disposed without asking for the result: the work either ran to its end on the side thread or never runs.
        }
        int ended = Volatile.Read(ref runs);
        Thread.Sleep(200);
        Assert.Equal(ended, Volatile.Read(ref runs));
        output.WriteLine($"500 works posted and abandoned: {ended} had started on the side thread and ended before the caller went on; the rest never ran");
    }
}
