namespace MnistCnn.Core.Training;

/// <summary>Which Adam implementation <see cref="Trainer"/> uses; both follow the tutorial (PyTorch's Adam, bias correction included).</summary>
internal enum TrainerOptimizer
{
    /// <summary>Adam over one flat buffer of all parameters and one of all gradients: a few operations per step instead of about eight per parameter tensor.</summary>
    FlatAdam,

    /// <summary>
    /// TorchSharp's <c>torch.optim.Adam</c>, one parameter tensor at a time, for the benchmarks' comparison. Its step
    /// converts numbers to scalars implicitly inside TorchSharp (src/Training/README.md), so it is not the default.
    /// </summary>
    TorchSharpAdam,
}
