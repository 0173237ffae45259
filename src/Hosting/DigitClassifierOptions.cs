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
    /// Threads one prediction may use. 0 (the default): for the ONNX backend, one for a call of fewer than 128 images
    /// (the fastest single prediction and read, and the most per second under concurrent requests) and ONNX Runtime's
    /// pool for a larger batch; for the Torch backend, libtorch's own process-wide count, left as it is. A value above 0
    /// gives every ONNX call that many, and sets libtorch's process-wide intra-op thread count for the Torch backend,
    /// where a service that predicts one upload per request answers faster and steadier with 1.
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Limits for decoding untrusted uploads.</summary>
    public ImageDecodingOptions Decoding { get; set; } = new();
}
