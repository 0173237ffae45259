using System.Diagnostics;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// Optional machine parts some tests need (Debian's chromium, python3-torch). Without them a test is reported as
/// skipped, with the reason; where <see cref="NoSkipsVariable"/> is 1 (as .ci/run sets it) it fails instead, so CI
/// cannot pass by skipping.
/// </summary>
internal static class Requires
{
    public const string NoSkipsVariable = "MNISTCNN_NO_SKIPS";

    public const string ChromiumPath = "/usr/bin/chromium";

    public const string PythonPath = "/usr/bin/python3";

    private static readonly Lazy<string?> PythonTorchProblem = new(FindPythonTorchProblem);

    /// <summary>Skips (or fails, under <see cref="NoSkipsVariable"/>) unless Debian's chromium is installed.</summary>
    public static void Chromium() =>
        Unless(File.Exists(ChromiumPath) ? null : $"{ChromiumPath} is missing: apt-get install chromium to run the browser tests.");

    /// <summary>Skips (or fails, under <see cref="NoSkipsVariable"/>) unless Debian's python3 can import torch.</summary>
    public static void PythonTorch() => Unless(PythonTorchProblem.Value);

    private static void Unless(string? problem)
    {
        if (problem is null)
        {
            return;
        }
        if (Environment.GetEnvironmentVariable(NoSkipsVariable) == "1")
        {
            Assert.Fail($"{problem} ({NoSkipsVariable}=1 forbids skipping: the machine must have it.)");
        }
        Assert.Skip(problem);
    }

    private static string? FindPythonTorchProblem()
    {
        if (!File.Exists(PythonPath))
        {
            return $"{PythonPath} is missing: apt-get install python3-torch to run the PyTorch interop test.";
        }
        var psi = new ProcessStartInfo(PythonPath, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var python = Process.Start(psi)!;
        string error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        return python.ExitCode == 0 ? null : $"{PythonPath} cannot import torch (apt-get install python3-torch): {error.Trim().Split('\n')[^1]}";
    }
}
