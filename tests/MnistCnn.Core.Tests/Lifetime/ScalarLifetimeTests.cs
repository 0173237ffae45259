using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// TorchSharp hands a <c>Scalar</c>'s native handle to libtorch without keeping the managed object alive, and the
/// object has a finalizer. A Scalar made by an implicit conversion (<c>t.div_(255)</c>, <c>t * 2.0</c>,
/// <c>alpha: 0.1</c>) is unreachable once its handle is read, so a collection triggered by another thread can free it
/// while libtorch reads it: wrong numbers, a libtorch error or a segfault. The library therefore creates every Scalar
/// explicitly and disposes it after the call (<c>using Scalar s = x.ToScalar()</c>); this test finds any that is not,
/// and any TorchSharp operator that takes a plain number (<c>tensor * 2.0</c>), which converts it the same way inside.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class ScalarLifetimeTests(ITestOutputHelper output)
{
    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Repo.Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}build{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static List<string> ImplicitScalars(IEnumerable<string> files)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f)).ToList();
        var implicitUsings = CSharpSyntaxTree.ParseText(
            "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;", parse);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p));
        // Named as the test assembly, which the library's internals are visible to, so that the tests' own code compiles too.
        var compilation = CSharpCompilation.Create("MnistCnn.Core.Tests", trees.Append(implicitUsings), references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        // Unresolved types would hide conversions: the scan only counts when the code compiles (source generators,
        // which implement the logging and interop partial methods, do not run here).
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795").Take(5).ToList();
        Assert.True(errors.Count == 0, "the scanned code does not compile: " + string.Join("; ", errors));
        var findings = new List<string>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes().OfType<ExpressionSyntax>())
            {
                string where = $"{Path.GetRelativePath(Repo.Root, tree.FilePath)}:{tree.GetLineSpan(node.Span).StartLinePosition.Line + 1}";
                var conversion = model.GetConversion(node);
                if (conversion.IsUserDefined && conversion.IsImplicit && conversion.MethodSymbol?.ContainingType.ToDisplayString() == "TorchSharp.Scalar")
                {
                    findings.Add($"{where}: '{node}' becomes a Scalar implicitly");
                }
                if (node is BinaryExpressionSyntax or PrefixUnaryExpressionSyntax
                    && model.GetSymbolInfo(node).Symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } op
                    && op.ContainingNamespace.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal)
                    && op.Parameters.Any(p => p.Type.SpecialType is >= SpecialType.System_SByte and <= SpecialType.System_Double))
                {
                    findings.Add($"{where}: '{node}' passes a number to a TorchSharp operator, which makes a Scalar of it");
                }
            }
        }
        return findings;
    }

    [Fact]
    public void The_library_passes_no_implicitly_converted_scalar_to_libtorch()
    {
        var findings = ImplicitScalars(SourceFiles("src"));
        findings.ForEach(output.WriteLine);
        Assert.Empty(findings);
    }

    [Fact]
    public void The_tests_pass_no_implicitly_converted_scalar_to_libtorch_either()
    {
        // The tests run in parallel, so another test's collection can free a test's implicit Scalar just as well.
        // TorchSharp's own Adam converts inside itself, where no scan can see it: FlatAdamTests runs it in a no-GC region.
        var findings = ImplicitScalars(SourceFiles("tests/MnistCnn.Core.Tests"));
        findings.ForEach(output.WriteLine);
        Assert.Empty(findings);
    }

    [Fact]
    public void The_scan_finds_an_implicit_conversion()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("Sample.cs"), """
            using TorchSharp;
            static class Sample
            {
                static void Scale(torch.Tensor t, double factor)
                {
                    t.div_(255);
                    using var scaled = t * factor;
                    using Scalar kept = factor.ToScalar();
                    t.mul_(kept);
                }
            }
            """);
        var findings = ImplicitScalars([dir.File("Sample.cs")]);
        Assert.Equal(2, findings.Count);
        Assert.Contains(findings, f => f.EndsWith("'255' becomes a Scalar implicitly", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.EndsWith("'t * factor' passes a number to a TorchSharp operator, which makes a Scalar of it", StringComparison.Ordinal));
    }
}
