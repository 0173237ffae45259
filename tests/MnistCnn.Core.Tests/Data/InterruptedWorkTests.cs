using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using Xunit;


namespace MnistCnn.Core.Tests;

/// <summary>Kills a real process while it writes a model or downloads MNIST, and checks what it leaves behind.</summary>
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class InterruptedWorkTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Helper = Built.Dll("tests", "MnistCnn.Core.CrashHelper");

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Process Start(params string[] args)
    {
        Assert.True(File.Exists(Helper), $"crash helper not built at {Helper}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Helper);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    [Fact]
    public void A_process_killed_while_saving_never_leaves_a_model_that_loads_wrong()
    {
        string path = _dir.File("model.bin");
        var rnd = new Random(4);
        int kills = 0, savesSeen = 0;
        for (int round = 0; round < 12; round++)
        {
            using var process = Start("save", path);
            int target = rnd.Next(1, 40);
            int saves = 0;
            while (saves < target && process.StandardOutput.ReadLine() is { } line)
            {
                saves = int.Parse(line["saved ".Length..], System.Globalization.CultureInfo.InvariantCulture) + 1;
            }
            Thread.Sleep(rnd.Next(0, 8));
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            kills++;
            savesSeen += saves;

            // Whatever moment the kill hit, the model file is a complete model (the previous or the new one).
            using var loaded = MnistCnnModule.FromFile(path);
            Assert.Equal(MnistCnnModule.ParameterNames, loaded.state_dict().Keys);
        }
        var leftovers = Directory.GetFiles(_dir.Path).Where(f => f != path).Select(Path.GetFileName).ToList();
        output.WriteLine($"{kills} kills after {savesSeen} saves; the model loaded every time; temporary leftovers: {leftovers.Count}");
        Assert.All(leftovers, name => Assert.StartsWith(".model.bin.", name));
    }

    [Fact]
    public void A_download_killed_half_way_leaves_nothing_a_later_run_trusts()
    {
        using var listener = new HttpListener();
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            // Announces the real size of train-images-idx3-ubyte.gz, then trickles bytes.
            var ctx = await listener.GetContextAsync();
            ctx.Response.ContentLength64 = 9912422;
            var chunk = new byte[4096];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await ctx.Response.OutputStream.WriteAsync(chunk, stop.Token);
                    await Task.Delay(10, stop.Token);
                }
            }
            catch (Exception ex) when (ex is HttpListenerException or OperationCanceledException or IOException)
            {
            }
        }, TestContext.Current.CancellationToken);

        string dir = _dir.File("mnist");
        using var process = Start("download", $"http://127.0.0.1:{port}/", dir);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !(Directory.Exists(dir) && Directory.GetFiles(dir).Any(f => new FileInfo(f).Length > 100_000)))
        {
            Thread.Sleep(50);
        }
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        stop.Cancel();
        listener.Stop();

        var files = Directory.GetFiles(dir).Select(f => (Name: Path.GetFileName(f), new FileInfo(f).Length)).ToList();
        output.WriteLine("left behind: " + string.Join(", ", files.Select(f => $"{f.Name} ({f.Length} bytes)")));
        Assert.Contains(files, f => f.Length > 100_000); // killed mid-file, not before it started
        Assert.All(files, f => Assert.StartsWith(".", f.Name));
        Assert.False(NpmMnistNamesPresent(dir));
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(dir, MnistSplit.Train));
        Assert.Contains("not found", ex.Message);
    }

    private static bool NpmMnistNamesPresent(string dir) =>
        Directory.GetFiles(dir).Select(Path.GetFileName).Any(n => n!.StartsWith("train-", StringComparison.Ordinal) || n.StartsWith("t10k-", StringComparison.Ordinal));
}
