using System.Net;
using System.Net.Sockets;

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

    /// <summary>Requests served so far, over all mirrors.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

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
            Interlocked.Increment(ref _requests);
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
