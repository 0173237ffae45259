namespace MnistCnn.Core.Runtime;

/// <summary>Where tensors live and the model runs.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when available, else Apple MPS when available, else the CPU; the <c>MNISTCNN_DEVICE</c> environment variable overrides it.</summary>
    Auto = 0,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The first CUDA GPU (needs a TorchSharp CUDA package such as TorchSharp-cuda-linux).</summary>
    Cuda,

    /// <summary>Apple's Metal Performance Shaders (macOS on Apple silicon).</summary>
    Mps,
}
