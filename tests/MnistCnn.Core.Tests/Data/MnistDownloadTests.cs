using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MnistCnn.Core.Data;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class MnistDownloadTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, byte[]> _served;
    private readonly MnistDownloader _downloader;
    private readonly LoopbackMirrors _server;

    public MnistDownloadTests()
    {
        var images = Idx.Gzip(Idx.Images(20));
        var labels = Idx.Gzip(Idx.Labels(20));
        _served = new() { ["train-images-idx3-ubyte.gz"] = images, ["train-labels-idx1-ubyte.gz"] = labels };
        _downloader = new MnistDownloader(
        [
            new MnistFile("train-images-idx3-ubyte", RawMd5: "", Convert.ToHexStringLower(MD5.HashData(images)), images.Length),
            new MnistFile("train-labels-idx1-ubyte", RawMd5: "", Convert.ToHexStringLower(MD5.HashData(labels)), labels.Length),
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
    public async Task A_good_mirror_delivers_each_file_intact()
    {
        await Download("good");
        AssertDownloadedIntact();
    }

    [Fact]
    public async Task A_mirror_answering_404_is_passed_over_for_the_next()
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
    public async Task An_unreachable_mirror_is_passed_over_for_the_next()
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
    public void Mirror_lists_that_are_empty_or_not_http_are_refused()
    {
        Assert.Throws<ArgumentException>(() => MnistDataset.DownloadAsync(_dir.Path, new MnistDownloadOptions { Mirrors = [] }, cancellationToken: TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        Assert.Throws<ArgumentException>(() => MnistDataset.DownloadAsync(_dir.Path, new MnistDownloadOptions { Mirrors = [new Uri("ftp://example.org/")] }, cancellationToken: TestContext.Current.CancellationToken).GetAwaiter().GetResult());
    }
}
