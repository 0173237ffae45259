namespace MnistCnn.Core.Hosting;

/// <summary>Which runtime serves <see cref="Inference.IDigitClassifier"/> when it is registered with <c>AddDigitClassifier</c>.</summary>
public enum DigitClassifierBackend
{
    /// <summary>ONNX Runtime (<see cref="Inference.OnnxDigitClassifier"/>): about 30 MB of native code, no libtorch. The app references Microsoft.ML.OnnxRuntime.</summary>
    Onnx,

    /// <summary>TorchSharp (<see cref="Inference.DigitClassifier"/>): CPU or GPU. The app references TorchSharp-cpu or a TorchSharp CUDA package.</summary>
    Torch,
}
