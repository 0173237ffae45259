using System.Text.RegularExpressions;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;
using Xunit;


namespace MnistCnn.Core.Tests;

/// <summary>The samples run as a user runs them, with their output read as a script would.</summary>
[Collection(RealMnist.Collection)]
[Trait(TestCategory.Name, TestCategory.Integration)]
public sealed class SampleTests(MnistFixture mnist, ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Train_prints_the_tutorials_lines_when_redirected_and_writes_its_report()
    {
        var (exit, stdout, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Train"), _dir.Path,
            "--data", mnist.Directory, "--epochs", "2", "--train-limit", "3000", "--seed", "1", "--export-pth", "model.pth", "--export-onnx", "model.onnx");
        output.WriteLine(stdout);
        Assert.True(exit == 0, stderr);
        string[] lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(7, lines.Length);
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            Assert.Matches($@"^Train Epoch: {epoch} \tLoss: \d+\.\d{{6}} \tAccuracy: \d+\.\d\d%$", lines[(epoch - 1) * 3]);
            Assert.Matches(@"^Test Loss: \d+\.\d{6} \tAccuracy: \d+\.\d\d%$", lines[((epoch - 1) * 3) + 1]);
            Assert.Matches(@"^Epoch time: \d+\.\d\d s \(\d+ images/s\)$", lines[((epoch - 1) * 3) + 2]);
        }
        Assert.Matches(@"^Best Test Accuracy: \d+\.\d\d%$", lines[6]);
        Assert.DoesNotContain("━", stdout); // no progress bar in a redirected stdout
        Assert.DoesNotContain("images/s ", stdout.Replace(" images/s)", ""));

        foreach (string png in new[] { "mnist-cnn.curves.png", "mnist-cnn.confusion.png", "mnist-cnn.errors.png" })
        {
            var info = Image.Identify(_dir.File(png));
            Assert.True(info.Width > 300 && info.Height > 200, png);
        }
        string[] csv = File.ReadAllLines(_dir.File("mnist-cnn.metrics.csv"));
        Assert.Equal("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second", csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.Contains("\"bestTestAccuracy\"", File.ReadAllText(_dir.File("mnist-cnn.metrics.json")));
        using var exported = Model.MnistCnnModule.FromFile(_dir.File("model.pth"));
        using var viaTorch = new DigitClassifier(exported);
        using var viaOnnx = OnnxDigitClassifier.FromFile(_dir.File("model.onnx"));
        using var firstTest = mnist.Test.Take(64);
        Assert.Equal(viaTorch.PredictBatch(firstTest).Select(p => p.Digit), viaOnnx.PredictBatch(firstTest).Select(p => p.Digit));
    }

    [Fact]
    public void Train_refuses_bad_arguments_with_usage_and_skips_plots_on_request()
    {
        var (exit, _, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Train"), _dir.Path, "--epochs", "many");
        Assert.Equal(2, exit);
        Assert.StartsWith("MnistCnn.Train: --epochs must be a whole number", stderr);
        Assert.DoesNotContain("   at ", stderr);

        (exit, _, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Train"), _dir.Path, "--data", mnist.Directory, "--epochs", "1", "--train-limit", "500", "--no-plots");
        Assert.True(exit == 0, stderr);
        Assert.False(File.Exists(_dir.File("mnist-cnn.curves.png")));
        Assert.True(File.Exists(_dir.File("mnist-cnn.metrics.csv")));
    }

    [Fact]
    public void Predict_prints_one_line_per_image_and_reports_bad_ones_on_stderr()
    {
        var samples = RealWorldDigits.Generate(1).Where(s => s.Style is RealWorldDigits.Style.InkOnPaper or RealWorldDigits.Style.TransparentCanvas).ToList();
        var paths = samples.Select((s, i) =>
        {
            string path = _dir.File($"digit{s.Digit}-{i}{s.Extension}");
            File.WriteAllBytes(path, s.Encoded);
            return path;
        }).ToList();
        File.WriteAllText(_dir.File("notes.png"), "not an image");
        string missing = _dir.File("missing.png");

        var (exit, stdout, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Predict"), _dir.Path,
            [.. paths.Take(10), _dir.File("notes.png"), missing, .. paths.Skip(10), "--save-preprocessed", _dir.File("seen")]);
        output.WriteLine(stdout);
        Assert.Equal(1, exit);
        string[] lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(paths.Count, lines.Length);
        int right = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            var match = Regex.Match(lines[i], @"^(?<path>[^\t]+)\t(?<digit>\d)\t(?<confidence>[01]\.\d{4})$");
            Assert.True(match.Success, lines[i]);
            Assert.Equal(paths[i], match.Groups["path"].Value);
            right += match.Groups["digit"].Value == samples[i].Digit.ToString(System.Globalization.CultureInfo.InvariantCulture) ? 1 : 0;
        }
        Assert.True(right >= 18, $"{right} of 20 right");
        Assert.Contains("notes.png: not a PNG, JPEG, BMP or GIF", stderr);
        Assert.Contains("missing.png", stderr);
        Assert.Equal(paths.Count, Directory.GetFiles(_dir.File("seen"), "*.28x28.png").Length);
    }

    [Fact]
    public void Predict_read_prints_one_number_per_image_and_saves_each_digit()
    {
        string number = _dir.File("number.png"), other = _dir.File("other.png");
        File.WriteAllBytes(number, PredictApi.NumberPng(3, 0, 8).Png);
        File.WriteAllBytes(other, PredictApi.NumberPng(5, 1).Png);
        File.WriteAllBytes(_dir.File("blank.png"), PredictApi.BlankPng());

        var (exit, stdout, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Predict"), _dir.Path,
            "--read", number, _dir.File("blank.png"), other, "--save-preprocessed", _dir.File("digits"));
        output.WriteLine(stdout + stderr);
        Assert.Equal(1, exit);
        Assert.Equal([$"{number}\t308", $"{other}\t51"], stdout.TrimEnd().Split('\n').Select(line => line[..line.LastIndexOf('\t')]));
        Assert.All(stdout.TrimEnd().Split('\n'), line => Assert.Matches(@"\t[01]\.\d{4}$", line));
        Assert.Contains("blank.png", stderr);
        Assert.Equal(["number.1.28x28.png", "number.2.28x28.png", "number.3.28x28.png", "other.1.28x28.png", "other.2.28x28.png"],
            Directory.GetFiles(_dir.File("digits")).Select(Path.GetFileName).Order());

        (exit, stdout, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Predict"), _dir.Path, "--read", "--digits", "2-3", number, other);
        output.WriteLine(stdout + stderr);
        Assert.Equal(0, exit);
        Assert.Equal([$"{number}\t308", $"{other}\t51"], stdout.TrimEnd().Split('\n').Select(line => line[..line.LastIndexOf('\t')]));

        string one = _dir.File("one.png");
        File.WriteAllBytes(one, PredictApi.NumberPng(1).Png);
        (exit, stdout, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Predict"), _dir.Path, "--read", "--digits", "4", one);
        output.WriteLine(stdout + stderr);
        Assert.Equal(1, exit);
        Assert.Contains("no reading of 4 digits", stderr);

        foreach (string bad in new[] { "0", "21", "3-2", "two", "1-2-3" })
        {
            (exit, _, stderr) = Built.Run(Built.Dll("samples", "MnistCnn.Predict"), _dir.Path, "--read", "--digits", bad, number);
            Assert.Equal(2, exit);
            Assert.Contains("--digits", stderr);
        }
    }
}
