using System.Security.Cryptography;

namespace MnistCnn.Core.Data;

/// <summary>
/// Fetches MNIST's .gz files from a list of mirrors. Each file is streamed to a temporary file, checked against its
/// known size and MD5, and only then renamed into place, so an interrupted or corrupted download leaves nothing
/// that a later run would trust.
/// </summary>
internal sealed class MnistDownloader(IReadOnlyList<MnistFile> files)
{
    public static MnistDownloader Standard { get; } = new(MnistFiles.All);

    public async Task DownloadAsync(string directory, MnistDownloadOptions options, IProgress<MnistDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        HttpClient client = options.HttpClient ?? new HttpClient();
        try
        {
            foreach (var file in files)
            {
                if (MnistFiles.Locate(directory, file) is null)
                {
                    await DownloadFileAsync(client, directory, file, options, progress, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (options.HttpClient is null)
            {
                client.Dispose();
            }
        }
    }

    private static async Task DownloadFileAsync(HttpClient client, string directory, MnistFile file, MnistDownloadOptions options, IProgress<MnistDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var mirror in options.Mirrors)
        {
            var address = new Uri(mirror, file.GzipName);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.TimeoutPerFile);
                await using var staged = StagedFile.Create(Path.Combine(directory, file.GzipName), useAsync: true);
                string? defect = await FetchAsync(client, address, staged.Stream, file, mirror, progress, timeout.Token).ConfigureAwait(false);
                if (defect is null)
                {
                    staged.Commit();
                    return;
                }
                failures.Add($"{address}: {defect}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{address}: timed out after {options.TimeoutPerFile.TotalSeconds:0} s");
            }
            catch (HttpRequestException ex)
            {
                failures.Add($"{address}: {ex.Message}");
            }
            catch (IOException ex)
            {
                failures.Add($"{address}: {ex.Message}");
            }
        }
        throw new MnistDownloadException(file.GzipName, failures);
    }

    /// <summary>Streams one file into <paramref name="target"/>; returns null when it is good, else what is wrong.</summary>
    private static async Task<string?> FetchAsync(HttpClient client, Uri address, Stream target, MnistFile file, Uri mirror, IProgress<MnistDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        if (response.Content.Headers.ContentLength is long declared && declared != file.GzipSize)
        {
            return $"the server announces {declared} bytes, expected {file.GzipSize}";
        }

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long received = 0;
        var buffer = new byte[81920];
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        {
            int n;
            while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                received += n;
                if (received > file.GzipSize)
                {
                    return $"more than the expected {file.GzipSize} bytes were sent";
                }
                md5.AppendData(buffer, 0, n);
                await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                progress?.Report(new MnistDownloadProgress(file.GzipName, mirror, received, file.GzipSize));
            }
        }

        if (received != file.GzipSize)
        {
            return $"received {received} bytes, expected {file.GzipSize}";
        }
        string actual = Convert.ToHexStringLower(md5.GetHashAndReset());
        return actual == file.GzipMd5 ? null : $"MD5 {actual} does not match the expected {file.GzipMd5}";
    }
}
