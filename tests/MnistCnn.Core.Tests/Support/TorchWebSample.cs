namespace MnistCnn.Core.Tests;

/// <summary>The web sample on its TorchSharp backend.</summary>
public sealed class TorchWebSample : WebSample
{
    public TorchWebSample()
        : base(["--backend", "torch"])
    {
    }
}
