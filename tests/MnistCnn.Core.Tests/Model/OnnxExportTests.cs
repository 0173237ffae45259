using MnistCnn.Core.Inference;
using MnistCnn.Core.Model;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class OnnxExportTests : IDisposable
{
    private const string WriteVariable = "MNISTCNN_WRITE_PRETRAINED_ONNX";
    private static readonly string EmbeddedOnnx = Path.Combine(Repo.Root, "src", "Inference", "Pretrained", "mnist-cnn.onnx");

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_export_is_the_tutorials_graph_at_opset_13_with_a_dynamic_batch()
    {
        using var model = new MnistCnnModule(seed: 1);
        string path = _dir.File("model.onnx");
        model.ExportOnnx(path);
        var onnx = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));

        Assert.Equal(13, Assert.Single(onnx.OpsetImport).Version);
        Assert.Equal(
            ["Conv", "MaxPool", "Relu", "Conv", "MaxPool", "Relu", "Conv", "MaxPool", "Relu", "Flatten", "Gemm", "Gemm"],
            onnx.Graph.Node.Select(n => n.OpType));
        Assert.Equal(MnistCnnModule.ParameterNames, onnx.Graph.Initializer.Select(t => t.Name));
        var input = Assert.Single(onnx.Graph.Input);
        Assert.Equal("input", input.Name);
        Assert.Equal(["batch", "1", "28", "28"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var output = Assert.Single(onnx.Graph.Output);
        Assert.Equal("logits", output.Name);
        Assert.Equal(["batch", "10"], output.Type.TensorType.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => Path.GetFileName(f).StartsWith('.'));
    }

    [Fact]
    public void The_embedded_onnx_model_is_the_export_of_the_embedded_weights()
    {
        using var model = new MnistCnnModule();
        using (var weights = typeof(MnistCnnModule).Assembly.GetManifestResourceStream("MnistCnn.Core.Pretrained.mnist-cnn.bin")!)
        {
            model.LoadWeights(weights, "embedded");
        }
        string exported = _dir.File("pretrained.onnx");
        model.ExportOnnx(exported);
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.Copy(exported, EmbeddedOnnx, overwrite: true);
        }
        Assert.True(
            File.Exists(EmbeddedOnnx) && File.ReadAllBytes(exported).SequenceEqual(File.ReadAllBytes(EmbeddedOnnx)),
            $"{EmbeddedOnnx} is not the export of mnist-cnn.bin: run this test once with {WriteVariable}=1 to write it, then rebuild.");
    }

    [Fact]
    public void An_onnx_model_of_another_signature_is_refused_naming_what_differs()
    {
        using var model = new MnistCnnModule(seed: 1);
        string path = _dir.File("model.onnx");
        model.ExportOnnx(path);
        var onnx = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        onnx.Graph.Input[0].Name = "pixels";
        onnx.Graph.Node[0].Input[0] = "pixels";
        string renamed = _dir.File("renamed.onnx");
        File.WriteAllBytes(renamed, onnx.ToByteArray());

        var ex = Assert.Throws<InvalidDataException>(() => OnnxDigitClassifier.FromFile(renamed));
        Assert.StartsWith(renamed, ex.Message);
        Assert.Contains("'pixels' Float [N, 1, 28, 28]", ex.Message);
        Assert.Contains("one input 'input'", ex.Message);

        File.WriteAllText(_dir.File("text.onnx"), "not a model");
        var notModel = Assert.Throws<InvalidDataException>(() => OnnxDigitClassifier.FromFile(_dir.File("text.onnx")));
        Assert.StartsWith(_dir.File("text.onnx"), notModel.Message);
    }

    [Fact]
    public void The_onnx_classifier_gives_the_torch_models_logits_for_random_weights()
    {
        using var model = new MnistCnnModule(seed: 7);
        string path = _dir.File("model.onnx");
        model.ExportOnnx(path);
        using var onnx = OnnxDigitClassifier.FromFile(path);
        using var x = torch.rand([5, 1, 28, 28], generator: new torch.Generator(3));
        float[] expected;
        using (torch.inference_mode())
        {
            model.eval();
            using var logits = model.call(x);
            expected = logits.data<float>().ToArray();
        }
        float[] actual = onnx.Logits(x.data<float>().ToArray(), 5);
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4, $"{pair.First} vs {pair.Second}"));
    }
}
