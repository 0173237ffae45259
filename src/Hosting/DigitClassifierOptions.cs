using MnistCnn.Core.Imaging;
using MnistCnn.Core.Runtime;

namespace MnistCnn.Core.Hosting;

/// <summary>How <c>AddDigitClassifier</c> builds the app's <see cref="Inference.IDigitClassifier"/>; checked when the host starts.</summary>
public sealed class DigitClassifierOptions
{
    /// <summary>The runtime. Default <see cref="DigitClassifierBackend.Onnx"/>.</summary>
    public DigitClassifierBackend Backend { get; set; } = DigitClassifierBackend.Onnx;

    /// <summary>
    /// The model file: ONNX for the ONNX backend (<see cref="Model.MnistCnnModule.ExportOnnx"/>); TorchSharp weights or a
    /// PyTorch <c>.pth</c> for the Torch backend. Null (the default): the model embedded in the package.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Where the Torch backend runs. Default <see cref="ComputeDevice.Auto"/>. The ONNX backend runs on the CPU and accepts only Auto or Cpu.</summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Auto;

    /// <summary>
    /// Threads one prediction may use; 0 (the default) leaves the runtime's own choice. A service that predicts one
    /// upload per request answers faster and steadier with 1. For the Torch backend this sets libtorch's process-wide
    /// intra-op thread count.
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Limits for decoding untrusted uploads.</summary>
    public ImageDecodingOptions Decoding { get; set; } = new();
}
