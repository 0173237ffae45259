using Google.Protobuf;
using MnistCnn.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Model;

/// <summary>The model's weights on disk: TorchSharp's format, PyTorch state_dicts and ONNX, each written atomically.</summary>
public sealed partial class MnistCnnModule
{
    /// <summary>
    /// Saves the weights to <paramref name="path"/> in TorchSharp's format. The file is written beside the target,
    /// flushed and renamed over it, so an interrupted save never leaves a truncated model behind.
    /// </summary>
    public void SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        StagedFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            save(writer);
            writer.Flush();
        });
    }

    /// <summary>
    /// Saves the weights as a PyTorch <c>state_dict</c> (<c>.pth</c>) that the tutorial's <c>MNISTModel</c> accepts with
    /// <c>model.load_state_dict(torch.load(path))</c>. Written atomically, like <see cref="SaveWeights"/>.
    /// </summary>
    public void SavePyTorch(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var weights = CloneWeights();
        try
        {
            StagedFile.Write(path, stream => PyTorchWeightsFormat.Write(stream, weights));
        }
        finally
        {
            WeightsFile.DisposeAll(weights);
        }
    }

    /// <summary>
    /// Exports the model as ONNX (opset 13) for <see cref="Inference.OnnxDigitClassifier"/> or any ONNX runtime: input
    /// <c>input</c> float <c>[N, 1, 28, 28]</c> with a dynamic batch dimension, output <c>logits</c> <c>[N, 10]</c>.
    /// Written atomically, like <see cref="SaveWeights"/>.
    /// </summary>
    public void ExportOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var weights = CloneWeights();
        try
        {
            var onnx = OnnxExporter.Build(weights);
            StagedFile.Write(path, stream => onnx.WriteTo(stream));
        }
        finally
        {
            WeightsFile.DisposeAll(weights);
        }
    }

    /// <summary>
    /// Loads weights saved by <see cref="SaveWeights"/>, or a PyTorch <c>state_dict</c> (recognised by content), into this model. The file is read and checked completely
    /// before any parameter changes, so a bad file leaves the model as it was.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a model of this architecture.</exception>
    public void LoadWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = WeightsFile.OpenRead(path);
        LoadWeights(stream, path);
    }

    /// <summary>
    /// Loads weights from a seekable stream holding what <see cref="SaveWeights"/> or <see cref="SavePyTorch"/> writes, or a
    /// PyTorch <c>state_dict</c> (recognised by content); <paramref name="sourceName"/> names it in errors.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is not a model of this architecture.</exception>
    public void LoadWeights(Stream stream, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        CopyAndDispose(PyTorchWeightsFormat.Recognises(stream) ? PyTorchWeightsFormat.Read(stream, sourceName) : TorchSharpWeightsFormat.Read(stream, sourceName), sourceName);
    }

    /// <summary>Creates a model from a weights file.</summary>
    public static MnistCnnModule FromFile(string path)
    {
        var model = new MnistCnnModule();
        try
        {
            model.LoadWeights(path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void CopyAndDispose(Dictionary<string, Tensor> weights, string sourceName)
    {
        try
        {
            CopyFrom(weights, sourceName);
        }
        finally
        {
            WeightsFile.DisposeAll(weights);
        }
    }

    /// <summary>Copies every parameter from <paramref name="weights"/> after checking that names and shapes all match.</summary>
    internal void CopyFrom(IReadOnlyDictionary<string, Tensor> weights, string sourceName) =>
        WeightsFile.CopyInto(this, weights, sourceName, nameof(MnistCnnModule));

    /// <summary>A detached copy of every parameter on the CPU (a real copy, unlike PyTorch's <c>state_dict()</c>).</summary>
    internal Dictionary<string, Tensor> CloneWeights()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone().MoveToOuterDisposeScope());
    }
}
