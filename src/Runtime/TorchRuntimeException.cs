namespace MnistCnn.Core.Runtime;

/// <summary>Thrown when TorchSharp's native libraries cannot be loaded; the message names the cause and the fix.</summary>
public sealed class TorchRuntimeException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public TorchRuntimeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
