using MnistCnn.Core.Model;
using TorchSharp;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class WeightsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] Flat(MnistCnnModule m) => m.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    [Fact]
    public void State_dict_keys_match_pytorch()
    {
        using var model = new MnistCnnModule();
        Assert.Equal(MnistCnnModule.ParameterNames, model.state_dict().Keys);
        Assert.Equal([256L, 576L], model.state_dict()["fc1.weight"].shape);
    }

    [Fact]
    public void Forward_gives_ten_logits_per_image()
    {
        using var model = new MnistCnnModule();
        using var x = torch.rand(5, 1, 28, 28);
        using var y = model.call(x);
        Assert.Equal([5L, 10L], y.shape);
    }

    [Fact]
    public void Save_and_load_round_trip()
    {
        using var a = new MnistCnnModule(seed: 1);
        a.SaveWeights(_dir.File("m.bin"));
        using var b = MnistCnnModule.FromFile(_dir.File("m.bin"));
        Assert.Equal(Flat(a), Flat(b));
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("truncated")]
    [InlineData("empty")]
    [InlineData("other-architecture")]
    [InlineData("trailing")]
    public void Bad_files_give_a_clear_error_and_leave_the_model_untouched(string kind)
    {
        string path = _dir.File(kind);
        using (var good = new MnistCnnModule(seed: 5))
        {
            good.SaveWeights(_dir.File("good.bin"));
        }
        byte[] goodBytes = File.ReadAllBytes(_dir.File("good.bin"));
        switch (kind)
        {
            case "text": File.WriteAllText(path, "this is not a model"); break;
            case "truncated": File.WriteAllBytes(path, goodBytes[..(goodBytes.Length - 1000)]); break;
            case "empty": File.WriteAllBytes(path, []); break;
            case "trailing": File.WriteAllBytes(path, [.. goodBytes, 1, 2, 3]); break;
            case "other-architecture":
                using (var other = torch.nn.Sequential(("conv1", torch.nn.Conv2d(1, 8, 3)), ("head", torch.nn.Linear(4, 2))))
                {
                    other.save(path);
                }
                break;
        }

        using var model = new MnistCnnModule(seed: 9);
        float[] before = Flat(model);
        var ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));
        Assert.StartsWith(path, ex.Message);
        Assert.Contains("Nothing was loaded", ex.Message);
        if (kind == "other-architecture")
        {
            Assert.Contains("missing keys: conv2.weight, conv2.bias", ex.Message);
            Assert.Contains("unexpected keys: head.bias, head.weight", ex.Message);
            Assert.Contains("conv1.weight is [8, 1, 3, 3], expected [16, 1, 3, 3]", ex.Message);
        }
        Assert.Equal(before, Flat(model));
    }
}
