using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using MnistCnn.Core.Model;
using TorchSharp;
using Xunit;


namespace MnistCnn.Core.Tests;

/// <summary>
/// The fixture in PyTorch/ was made by make_seed_fixture.py in Debian's PyTorch: the seed's MNISTModel, trained briefly,
/// saved with torch.save(model.state_dict()), and its logits for the first 32 MNIST test images.
/// </summary>
[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class PyTorchInteropTests(MnistFixture mnist, ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private static readonly string FixtureDir = Path.Combine(Repo.Root, "tests", "MnistCnn.Core.Tests", "PyTorch");
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private float[][] OurLogits(MnistCnnModule model, int count)
    {
        var pixels = Enumerable.Range(0, count).SelectMany(mnist.Test.GetNormalizedPixels).ToArray();
        model.eval();
        using var inference = torch.inference_mode();
        using var x = torch.tensor(pixels, [count, 1, 28, 28]);
        using var y = model.call(x);
        var flat = y.data<float>().ToArray();
        return Enumerable.Range(0, count).Select(i => flat[(i * 10)..((i + 1) * 10)]).ToArray();
    }

    private static double MaxDifference(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => Math.Abs((double)x - y))).Max();
    }

    [Fact]
    public void Seed_state_dict_from_pytorch_gives_pytorchs_logits()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "seed-logits.json")));
        var expected = doc.RootElement.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();

        using var model = new MnistCnnModule();
        model.LoadWeights(Path.Combine(FixtureDir, "seed-mnist.pth"));
        double diff = MaxDifference(expected, OurLogits(model, expected.Length));
        output.WriteLine($"PyTorch -> MnistCnn.Core: largest logit difference {diff:E2} over {expected.Length} images");
        Assert.True(diff <= Tolerance, $"largest difference {diff}");

        using var viaFromFile = MnistCnnModule.FromFile(Path.Combine(FixtureDir, "seed-mnist.pth"));
        Assert.Equal(0, MaxDifference(OurLogits(model, 4), OurLogits(viaFromFile, 4)));
    }

    [Fact]
    public void Our_pth_loads_in_the_seeds_pytorch_model_and_gives_our_logits()
    {
        Requires.PythonTorch();

        using var model = new MnistCnnModule(seed: 5);
        using (var train = mnist.Train.Take(2000))
        using (var test = mnist.Test.Take(200))
        {
            new Training.Trainer(model, new Training.TrainerOptions { Epochs = 1, Seed = 5 }).Fit(train, test, cancellationToken: TestContext.Current.CancellationToken);
        }
        string pth = _dir.File("ours.pth");
        model.SavePyTorch(pth);

        const int count = 32;
        string json = Run(Requires.PythonPath, $"\"{Path.Combine(FixtureDir, "check_export.py")}\" \"{pth}\" \"{mnist.Directory}\" {count}");
        var theirs = JsonSerializer.Deserialize<float[][]>(json)!;
        double diff = MaxDifference(theirs, OurLogits(model, count));
        output.WriteLine($"MnistCnn.Core -> PyTorch: largest logit difference {diff:E2} over {count} images");
        Assert.True(diff <= Tolerance, $"largest difference {diff}");
    }

    [Fact]
    public void A_pth_round_trips_and_is_recognised_by_content()
    {
        using var a = new MnistCnnModule(seed: 8);
        string path = _dir.File("model.weights"); // no .pth extension: recognised by content
        a.SavePyTorch(path);
        using var b = MnistCnnModule.FromFile(path);
        Assert.Equal(0, MaxDifference(OurLogits(a, 8), OurLogits(b, 8)));
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Another_architecture_lists_keys_and_shapes_and_loads_nothing()
    {
        string path = _dir.File("other.pth");
        using (var other = torch.nn.Sequential(("conv1", torch.nn.Conv2d(1, 8, 3)), ("head", torch.nn.Linear(4, 2))))
        {
            using var stream = File.Create(path);
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, new System.Collections.Hashtable(other.state_dict()), leaveOpen: false);
        }
        using var model = new MnistCnnModule(seed: 1);
        var before = OurLogits(model, 2);
        var ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));
        Assert.Contains("missing keys: conv2.weight", ex.Message);
        Assert.Contains("unexpected keys: head.bias, head.weight", ex.Message);
        Assert.Contains("conv1.weight is [8, 1, 3, 3], expected [16, 1, 3, 3]", ex.Message);
        Assert.Equal(0, MaxDifference(before, OurLogits(model, 2)));
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("pickle")]
    public void Not_a_state_dict_gives_a_clear_error(string kind)
    {
        string path = _dir.File("bad.pth");
        if (kind == "zip")
        {
            using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
            using var writer = new StreamWriter(zip.CreateEntry("archive/data.pkl").Open());
            writer.Write("not a pickle");
        }
        else
        {
            File.WriteAllBytes(path, [0x80, 0x02, 0x5d, 0x71, 0x00, 0x2e]); // pickle of an empty list
        }
        using var model = new MnistCnnModule(seed: 1);
        var ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));
        Assert.StartsWith(path, ex.Message);
        Assert.Contains("state_dict", ex.Message);
    }

    private static string Run(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = FixtureDir };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(true);
            throw new InvalidOperationException($"{file} {arguments} timed out");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {stderr.Result}");
        }
        return stdout.Result;
    }
}
