using System.Globalization;

namespace MnistCnn.Samples;

/// <summary>
/// The samples' common shell: bad arguments print one line and the usage (exit 2); expected failures print one line
/// (exit 1); no stack traces. The body runs synchronously on the main thread, so libtorch work never lands on a
/// thread-pool thread (whose stack is a fraction of the main thread's) after an await.
/// </summary>
public static class SampleProgram
{
    public static int Run(string name, string usage, Func<int> body)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return body();
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"{name}: {ex.Message}");
            Console.Error.WriteLine(usage);
            return 2;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"{name}: {ex.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }
}
