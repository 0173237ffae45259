namespace MnistCnn.Core.Tests;

/// <summary>
/// The trait every test class carries as <c>[Trait(TestCategory.Name, …)]</c>, so that
/// <c>dotnet test --filter Category=Unit</c> runs one group.
/// </summary>
internal static class TestCategory
{
    public const string Name = "Category";

    /// <summary>In-process, no real MNIST, no child processes: seconds.</summary>
    public const string Unit = "Unit";

    /// <summary>Real MNIST, real files, processes, servers and training runs.</summary>
    public const string Integration = "Integration";

    /// <summary>The web sample driven in Debian's Chromium.</summary>
    public const string Browser = "Browser";

    /// <summary>The packed NuGet package used by a new console app.</summary>
    public const string Package = "Package";
}
