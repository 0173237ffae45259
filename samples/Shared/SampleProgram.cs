using System.Globalization;

namespace MnistCnn.Samples;

/// <summary>The samples' common shell: bad arguments print one line and the usage (exit 2); expected failures print one line (exit 1); no stack traces.</summary>
public static class SampleProgram
{
    public static async Task<int> RunAsync(string name, string usage, Func<Task<int>> body)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return await body();
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"{name}: {ex.Message}");
            await Console.Error.WriteLineAsync(usage);
            return 2;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"{name}: {ex.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }
}
