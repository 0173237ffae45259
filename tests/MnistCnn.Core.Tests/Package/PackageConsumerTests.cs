using System.Diagnostics;
using Xunit;


namespace MnistCnn.Core.Tests;

/// <summary>
/// What a new user does, outside the repository: pack the library, then in a temporary folder `dotnet new console`,
/// `dotnet add package MnistCnn.Core --source feed`, add TorchSharp-cpu, write a program with the three lines, run it.
/// It passes on Debian 12 only if the package's buildTransitive libstdc++ step works.
/// </summary>
[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Package)]
public sealed class PackageConsumerTests(MnistFixture mnist, PackageConsumerTests.PackedFeed packed, ITestOutputHelper output)
    : IDisposable, IClassFixture<PackageConsumerTests.PackedFeed>
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(6);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The library packed once, with a version of its own so no stale copy in the NuGet cache is used.</summary>
    public sealed class PackedFeed : IDisposable
    {
        private readonly TempDir _dir = new();

        public PackedFeed()
        {
            Feed = Directory.CreateDirectory(_dir.File("feed")).FullName;
            Version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            Log = Dotnet(Repo.Root, $"pack MnistCnn.Core.csproj -c Release -o \"{Feed}\" -p:Version={Version} -p:BaseOutputPath=\"{_dir.File("bin")}/\" -p:BaseIntermediateOutputPath=\"{_dir.File("obj")}/\"", TimeSpan.FromMinutes(6));
        }

        public string Feed { get; }

        public string Version { get; }

        public string Log { get; }

        public void Dispose()
        {
            _dir.Dispose();
            string cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "mnistcnn.core", Version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    private const string ConsumerProgram = """
        using MnistCnn.Core.Data;
        using MnistCnn.Core.Inference;
        using MnistCnn.Core.Model;
        using MnistCnn.Core.Training;

        string dataDir = args[0], imagePath = args[1];
        using var fullTrain = MnistDataset.Load(dataDir, MnistSplit.Train);
        using var fullTest = MnistDataset.Load(dataDir, MnistSplit.Test);
        using var trainSet = fullTrain.Take(3000);
        using var testSet = fullTest.Take(1000);

        using var model = new MnistCnnModule(seed: 1);
        var result = new Trainer(model).Fit(trainSet, testSet);
        Console.WriteLine($"epochs={result.History.Count} best={result.BestTestAccuracy:F4}");

        using var classifier = new DigitClassifier(model);
        var prediction = classifier.Predict(imagePath);
        Console.WriteLine($"trained digit={prediction.Digit} confidence={prediction.Confidence:F3}");

        using var pretrained = DigitClassifier.LoadPretrained();
        Console.WriteLine($"pretrained digit={pretrained.Predict(imagePath).Digit}");
        """;

    private const string TorchBackend = "TorchSharp-cpu --version 0.107.0";
    private const string OnnxRuntime = "Microsoft.ML.OnnxRuntime --version 1.31.1";

    private const string OnnxOnlyProgram = """
        using MnistCnn.Core.Inference;

        try
        {
            using var classifier = OnnxDigitClassifier.LoadPretrained();
            Console.WriteLine($"onnx digit={classifier.Predict(args[0]).Digit}");
            var reader = new MnistCnn.Core.Reading.DigitReader(classifier);
            Console.WriteLine($"onnx number={reader.Read(args[1]).Text} of three={reader.Read(args[1], MnistCnn.Core.Reading.ReadOptions.Exactly(3)).Text}");
        }
        catch (MnistCnn.Core.Runtime.OnnxRuntimeLoadException ex)
        {
            Console.WriteLine($"{ex.GetType().Name}: {ex.Message}");
        }
        bool libtorch = File.ReadAllText("/proc/self/maps").Contains("libtorch", StringComparison.Ordinal);
        Console.WriteLine($"libtorch loaded={libtorch}");
        """;

    private const string NoBackendProgram = """
        try
        {
            using var model = new MnistCnn.Core.Model.MnistCnnModule();
            Console.WriteLine("loaded without a backend?");
        }
        catch (Exception ex)
        {
            Console.WriteLine($"{ex.GetType().Name}: {ex.Message}");
        }
        """;

    [Fact]
    public void A_new_user_gets_the_three_lines_working_from_the_packed_nupkg()
    {
        output.WriteLine(packed.Log);
        Assert.True(File.Exists(Path.Combine(packed.Feed, $"MnistCnn.Core.{packed.Version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(packed.Feed, $"MnistCnn.Core.{packed.Version}.snupkg")));

        string app = CreateConsumer("app", ConsumerProgram, TorchBackend);
        var sample = RealWorldDigits.Generate(1).First(s => s.Style == RealWorldDigits.Style.InkOnPaper && s.Digit == 7);
        File.WriteAllBytes(_dir.File("seven.png"), sample.Encoded);

        string printed = Dotnet(app, $"run -c Release -- \"{mnist.Directory}\" \"{_dir.File("seven.png")}\"");
        Assert.Contains("epochs=10 best=0.9", printed);
        Assert.Contains("pretrained digit=7", printed);
        Assert.Matches(@"trained digit=\d confidence=", printed);

        // The package's buildTransitive step patched the consumer's own copy (TorchSharp would not load here otherwise).
        string copy = Directory.GetFiles(Path.Combine(app, "bin"), "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        bool needed = !Build.ElfVersionPatcher.DefinesVersion(File.ReadAllBytes(Build.ElfVersionPatcher.FindSystemLibStdCxx()!), Build.ElfVersionPatcher.Glibcxx332);
        var outcome = Build.ElfVersionPatcher.Apply(File.ReadAllBytes(copy), Build.ElfVersionPatcher.Glibcxx332, Build.ElfVersionPatcher.KnownMarkerSymbols, out _);
        Assert.Equal(needed ? Build.ElfPatchOutcome.AlreadyWeak : Build.ElfPatchOutcome.Patched, outcome);

        // Opting out leaves the copy as shipped; where the patch is needed, the first call then explains the cause.
        string optedOut = _dir.File("opted-out");
        Dotnet(app, $"build -c Release -p:MnistCnnLibStdCxxCompat=false -o \"{optedOut}\"");
        string unpatched = Directory.GetFiles(optedOut, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        Assert.Equal(Build.ElfPatchOutcome.Patched, Build.ElfVersionPatcher.Apply(File.ReadAllBytes(unpatched), Build.ElfVersionPatcher.Glibcxx332, Build.ElfVersionPatcher.KnownMarkerSymbols, out _));
        if (needed)
        {
            string failure = Dotnet(optedOut, $"exec app.dll \"{mnist.Directory}\" \"{_dir.File("seven.png")}\"", expectSuccess: false);
            Assert.Contains("TorchRuntimeException: TorchSharp's native library needs a newer libstdc++ (GLIBCXX_3.4.32, GCC 13)", failure);
        }
    }

    [Fact]
    public void A_user_without_a_backend_is_told_which_package_to_add()
    {
        string app = CreateConsumer("nobackend", NoBackendProgram);
        string printed = Dotnet(app, "run -c Release");
        Assert.Contains("TorchRuntimeException: No TorchSharp backend", printed);
        Assert.Contains("Add the package TorchSharp-cpu", printed);
    }

    [Fact]
    public void An_app_with_onnx_runtime_and_no_torch_backend_predicts_without_loading_libtorch()
    {
        string app = CreateConsumer("onnxonly", OnnxOnlyProgram, OnnxRuntime);
        var sample = RealWorldDigits.Generate(1).First(s => s.Style == RealWorldDigits.Style.InkOnPaper && s.Digit == 3);
        File.WriteAllBytes(_dir.File("three.png"), sample.Encoded);

        File.WriteAllBytes(_dir.File("number.png"), PredictApi.NumberPng(3, 0, 8).Png);

        string printed = Dotnet(app, $"run -c Release -- \"{_dir.File("three.png")}\" \"{_dir.File("number.png")}\"");
        Assert.Contains("onnx digit=3", printed);
        Assert.Contains("onnx number=308 of three=308", printed);
        Assert.Contains("libtorch loaded=False", printed);
        Assert.Empty(Directory.GetFiles(Path.Combine(app, "bin"), "libtorch*", SearchOption.AllDirectories));

        // Without the native package the first call names it.
        Dotnet(app, "remove package Microsoft.ML.OnnxRuntime");
        printed = Dotnet(app, $"run -c Release -- \"{_dir.File("three.png")}\" \"{_dir.File("number.png")}\"");
        Assert.Contains("OnnxRuntimeLoadException: ONNX Runtime's native library could not be loaded. Add the package Microsoft.ML.OnnxRuntime", printed);
    }

    private string CreateConsumer(string name, string program, params string[] packages)
    {
        string feed = packed.Feed, version = packed.Version;
        string app = Directory.CreateDirectory(_dir.File(name)).FullName;
        Dotnet(app, "new console --force");
        Dotnet(app, "new nugetconfig --force");
        Dotnet(app, $"nuget add source \"{feed}\" -n local --configfile nuget.config");
        Dotnet(app, $"add package MnistCnn.Core --version {version} --source \"{feed}\"");
        foreach (string package in packages)
        {
            Dotnet(app, $"add package {package}");
        }
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
        return app;
    }

    private string Dotnet(string workingDirectory, string arguments, bool expectSuccess = true)
    {
        string text = Dotnet(workingDirectory, arguments, StepTimeout, expectSuccess);
        output.WriteLine($"$ dotnet {arguments}\n{string.Join('\n', text.Split('\n').TakeLast(15))}");
        return text;
    }

    private static string Dotnet(string workingDirectory, string arguments, TimeSpan timeout, bool expectSuccess = true)
    {
        var psi = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host's MSBuild variables would point a nested build at the wrong SDK pieces.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(key);
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {arguments} timed out after {timeout}");
        }
        string text = stdout.Result + stderr.Result;
        Assert.True((process.ExitCode == 0) == expectSuccess, $"dotnet {arguments} exited {process.ExitCode}:\n{text}");
        return text;
    }
}
