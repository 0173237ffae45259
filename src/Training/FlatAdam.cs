using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// TorchSharp's Adam over one <see cref="FlatParameters"/> buffer: the same update, bias correction included, in a
/// handful of operations per step however many tensors the model has, into buffers allocated once. Learning-rate
/// schedulers (one-cycle, with its beta cycling) drive it as they drive TorchSharp's Adam.
/// </summary>
internal sealed class FlatAdam : TorchSharp.Modules.Adam
{
    private readonly FlatParameters _flat;
    private readonly Tensor _denominator;

    public FlatAdam(FlatParameters flat, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : base([flat.Values], learningRate, beta1, beta2, eps)
    {
        _flat = flat;
        _denominator = torch.empty_like(flat.Values);
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        var options = (Options)_parameter_groups[0].Options;
        var state = (State)_state[_flat.Values.Handle];
        state.step += 1;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
        double stepSize = options.LearningRate!.Value / (1 - Math.Pow(beta1, state.step));
        double squareCorrection = Math.Sqrt(1 - Math.Pow(beta2, state.step));

        // Every scalar is created here and disposed after the step (see src/Training/README.md): an implicit
        // conversion's Scalar can be finalized while libtorch still reads it.
        using Scalar keep1 = beta1.ToScalar(), take1 = (1 - beta1).ToScalar(), keep2 = beta2.ToScalar(), take2 = (1 - beta2).ToScalar();
        using Scalar correction = squareCorrection.ToScalar(), eps = options.eps!.Value.ToScalar(), negativeStep = (-stepSize).ToScalar();
        using var noGrad = torch.no_grad();
        var gradient = _flat.Gradients;

        // The same operations, in the same order, as TorchSharp's Adam, into preallocated buffers.
        state.exp_avg.mul_(keep1).add_(gradient, alpha: take1);
        state.exp_avg_sq.mul_(keep2).addcmul_(gradient, gradient, value: take2);
        _denominator.copy_(state.exp_avg_sq).sqrt_().div_(correction).add_(eps);
        _flat.Values.addcdiv_(state.exp_avg, _denominator, value: negativeStep);
        return null!;
    }

    /// <inheritdoc/>
    public override void zero_grad() => _flat.Gradients.zero_();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _denominator.Dispose();
        }
        base.Dispose(disposing);
    }
}
