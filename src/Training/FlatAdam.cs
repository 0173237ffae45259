using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// TorchSharp's Adam over one <see cref="FlatParameters"/> buffer: the same update, bias correction included, in a
/// handful of operations per step however many tensors the model has, with no allocation per step. Learning-rate
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
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value, lr = options.LearningRate!.Value;
        var state = (State)_state[_flat.Values.Handle];
        var gradient = _flat.Gradients;
        using (torch.no_grad())
        {
            state.step += 1;
            double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
            double biasCorrection2 = 1 - Math.Pow(beta2, state.step);

            // The same operations, in the same order, as TorchSharp's Adam, into preallocated buffers.
            state.exp_avg.mul_(beta1).add_(gradient, alpha: 1 - beta1);
            state.exp_avg_sq.mul_(beta2).addcmul_(gradient, gradient, value: 1 - beta2);
            _denominator.copy_(state.exp_avg_sq).sqrt_().div_(Math.Sqrt(biasCorrection2)).add_(eps);
            _flat.Values.addcdiv_(state.exp_avg, _denominator, value: -lr / biasCorrection1);
        }
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
