using System.Diagnostics;
using TorchSharp;

namespace MnistCnn.Core.Benchmarks;

/// <summary>
/// Shows the hazard behind the training crashes: a TorchSharp <see cref="Scalar"/> made by an implicit conversion is
/// unreachable once its handle is read, so a collection started by another thread can finalize it while libtorch reads
/// it. One thread multiplies a tensor of ones by 1 in place, over and over, while a second thread allocates; run it with
/// <c>DOTNET_GCgen0size=0x20000 MALLOC_PERTURB_=165</c>. With implicit scalars, some multiplications fail with a libtorch
/// error, and some can multiply by garbage (one run here ended with the sixteen ones summing to infinity); with each
/// scalar held in a <c>using</c>, none do.
/// </summary>
internal static class ScalarLifetimeHarness
{
    public static void Run(double seconds)
    {
        using (new Model.MnistCnnModule())
        {
            // loads libtorch
        }
        Console.WriteLine($"## Scalar lifetime, {seconds:F0} s per variant, one thread multiplying while another allocates");
        foreach (bool implicitScalars in new[] { true, false })
        {
            var (operations, errors, sum) = Multiply(implicitScalars, seconds);
            Console.WriteLine($"{(implicitScalars ? "implicit scalars (t.mul_(1L))" : "explicit scalars (using Scalar one = 1L.ToScalar())")}: {operations:N0} multiplications, {errors} libtorch errors, sum of the 16 ones afterwards {sum}");
        }
    }

    private static (long Operations, long Errors, float Sum) Multiply(bool implicitScalars, double seconds)
    {
        using var stop = new CancellationTokenSource();
        var allocator = new Thread(() =>
        {
            var keep = new List<byte[]>();
            while (!stop.IsCancellationRequested)
            {
                keep.Add(new byte[64]);
                if (keep.Count > 1000)
                {
                    keep.Clear();
                }
            }
        });
        allocator.Start();
        long operations = 0, errors = 0;
        using var ones = torch.ones(16);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 1000; i++, operations++)
            {
                try
                {
                    if (implicitScalars)
                    {
                        ones.mul_(1L);
                    }
                    else
                    {
                        using Scalar one = 1L.ToScalar();
                        ones.mul_(one);
                    }
                }
                catch (System.Runtime.InteropServices.ExternalException)
                {
                    errors++;
                }
            }
        }
        stop.Cancel();
        allocator.Join();
        using var sum = ones.sum();
        return (operations, errors, sum.item<float>());
    }
}
