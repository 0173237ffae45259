namespace MnistCnn.Core.Tests;

/// <summary>Projects built beside the tests (ProjectReference without the assembly): their dll and a way to run them.</summary>
internal static class Built
{
    public static string Dll(string folder, string project) =>
        System.IO.Path.Combine(AppContext.BaseDirectory.Replace(System.IO.Path.Combine("tests", "MnistCnn.Core.Tests"), System.IO.Path.Combine(folder, project), StringComparison.Ordinal), project + ".dll");

    public static (int ExitCode, string Stdout, string Stderr) Run(string dll, string workingDirectory, params string[] args) =>
        Run(dll, workingDirectory, new Dictionary<string, string>(), args);

    public static (int ExitCode, string Stdout, string Stderr) Run(string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{dll} did not finish in 5 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
