namespace MnistCnn.Core.Runtime;

/// <summary>Thrown when ONNX Runtime's native library cannot be loaded; the message names the package to add.</summary>
public sealed class OnnxRuntimeLoadException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public OnnxRuntimeLoadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
