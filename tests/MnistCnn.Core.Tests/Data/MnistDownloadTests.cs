using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MnistCnn.Core.Data;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>A real HTTP server on 127.0.0.1 with one mirror per behaviour: good, 404, corrupt bytes, short body.</summary>
public sealed class LoopbackMirrors : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files;
    private readonly Task _loop;

    public LoopbackMirrors(Dictionary<string, byte[]> files)
    {
        _files = files;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUri.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    public int Requests;

    public Uri Mirror(string behaviour) => new(BaseUri, behaviour + "/");

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            Interlocked.Increment(ref Requests);
            string[] parts = ctx.Request.Url!.AbsolutePath.Trim('/').Split('/');
            using var response = ctx.Response;
            if (parts.Length != 2 || parts[0] == "missing" || !_files.TryGetValue(parts[1], out var body))
            {
                response.StatusCode = 404;
                continue;
            }
            body = parts[0] switch
            {
                "corrupt" => body.Select((b, i) => i == body.Length / 2 ? (byte)(b ^ 0xFF) : b).ToArray(),
                "short" => body[..(body.Length / 2)],
                _ => body,
            };
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}

public sealed class DownloadTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, byte[]> _served;
    private readonly MnistDownloader _downloader;
    private readonly LoopbackMirrors _server;

    public DownloadTests()
    {
        var images = Idx.Gzip(Idx.Images(20));
        var labels = Idx.Gzip(Idx.Labels(20));
        _served = new() { ["train-images-idx3-ubyte.gz"] = images, ["train-labels-idx1-ubyte.gz"] = labels };
        _downloader = new MnistDownloader(
        [
            new MnistFile("train-images-idx3-ubyte", Convert.ToHexStringLower(MD5.HashData(images)), images.Length),
            new MnistFile("train-labels-idx1-ubyte", Convert.ToHexStringLower(MD5.HashData(labels)), labels.Length),
        ]);
        _server = new LoopbackMirrors(_served);
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    private Task Download(params string[] behaviours) => _downloader.DownloadAsync(
        _dir.Path,
        new MnistDownloadOptions { Mirrors = behaviours.Select(_server.Mirror).ToList(), TimeoutPerFile = TimeSpan.FromSeconds(20) },
        progress: null,
        CancellationToken.None);

    private void AssertDownloadedIntact()
    {
        foreach (var (name, bytes) in _served)
        {
            Assert.Equal(bytes, File.ReadAllBytes(_dir.File(name)));
        }
        Assert.Equal(_served.Keys.Order(), Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Good_mirror()
    {
        await Download("good");
        AssertDownloadedIntact();
    }

    [Fact]
    public async Task Not_found_then_good()
    {
        await Download("missing", "good");
        AssertDownloadedIntact();
        Assert.Equal(4, _server.Requests);
    }

    [Fact]
    public async Task Corrupt_bytes_are_rejected_then_the_next_mirror_is_used()
    {
        await Download("corrupt", "good");
        AssertDownloadedIntact();
    }

    [Fact]
    public async Task All_failing_lists_each_mirror_and_leaves_nothing()
    {
        var ex = await Assert.ThrowsAsync<MnistDownloadException>(() => Download("missing", "corrupt", "short"));
        Assert.Equal(3, ex.Failures.Count);
        Assert.Contains("HTTP 404", ex.Failures[0]);
        Assert.Contains("MD5", ex.Failures[1]);
        Assert.Contains("expected", ex.Failures[2]);
        Assert.Contains("/missing/", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public async Task Unreachable_mirror_then_good()
    {
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await _downloader.DownloadAsync(
            _dir.Path,
            new MnistDownloadOptions { Mirrors = [new Uri($"http://127.0.0.1:{closedPort}/"), _server.Mirror("good")] },
            null,
            CancellationToken.None);
        AssertDownloadedIntact();
    }

    [Fact]
    public async Task Downloaded_files_load_as_a_dataset_and_progress_is_reported()
    {
        var reports = new List<MnistDownloadProgress>();
        await _downloader.DownloadAsync(_dir.Path, new MnistDownloadOptions { Mirrors = [_server.Mirror("good")] }, new SyncProgress<MnistDownloadProgress>(reports.Add), CancellationToken.None);
        Assert.Contains(reports, r => r.BytesReceived == r.TotalBytes && r.FileName == "train-images-idx3-ubyte.gz");
        using var set = MnistDataset.Load(_dir.Path, MnistSplit.Train);
        Assert.Equal(20, set.Count);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => MnistDataset.DownloadAsync(_dir.Path, new MnistDownloadOptions { Mirrors = [] }).GetAwaiter().GetResult());
        Assert.Throws<ArgumentException>(() => MnistDataset.DownloadAsync(_dir.Path, new MnistDownloadOptions { Mirrors = [new Uri("ftp://example.org/")] }).GetAwaiter().GetResult());
    }
}

internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
