namespace MnistCnn.Core.Tests;

internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MnistCnn.Core.csproj")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
