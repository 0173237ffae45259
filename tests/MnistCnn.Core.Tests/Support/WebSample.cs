using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MnistCnn.Core.Tests;

/// <summary>The web sample, started for real on a free port of 127.0.0.1, with its default (ONNX) backend.</summary>
public class WebSample : IDisposable
{
    private readonly Process _process;

    public WebSample()
        : this([])
    {
    }

    protected WebSample(string[] arguments)
    {
        string dll = Built.Dll("samples", "MnistCnn.Web");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("web sample not built", dll);
        }
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(BaseUri.ToString());
        foreach (string argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (client.GetAsync(BaseUri).Result.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (AggregateException) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !_process.HasExited)
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60) || _process.HasExited)
            {
                throw new InvalidOperationException($"the web sample did not start on {BaseUri}");
            }
            Thread.Sleep(200);
        }
    }

    public Uri BaseUri { get; }

    /// <summary>The server's resident memory now and at its peak, in bytes (Linux).</summary>
    public (long Resident, long Peak) Memory()
    {
        string status = File.ReadAllText($"/proc/{_process.Id}/status");
        long Field(string name) => long.Parse(status.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return (Field("VmRSS:"), Field("VmHWM:"));
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        GC.SuppressFinalize(this);
    }
}
