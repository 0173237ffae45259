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
        Update(BeginStep(), 0, _flat.Values.shape[0]);
        return null!;
    }

    /// <summary>The same step, each of <paramref name="threads"/> updating its share of the buffer.</summary>
    public void Step(PartThreads threads)
    {
        var coefficients = BeginStep();
        long total = _flat.Values.shape[0];
        threads.Run(part =>
        {
            long start = total * part / threads.Parts, end = total * (part + 1) / threads.Parts;
            Update(coefficients, start, end - start);
        });
    }

    private Coefficients BeginStep()
    {
        var options = (Options)_parameter_groups[0].Options;
        var state = (State)_state[_flat.Values.Handle];
        state.step += 1;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
        return new Coefficients(
            state, beta1, beta2, options.eps!.Value,
            StepSize: options.LearningRate!.Value / (1 - Math.Pow(beta1, state.step)),
            SquareCorrection: Math.Sqrt(1 - Math.Pow(beta2, state.step)));
    }

    private void Update(Coefficients c, long start, long length)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor Part(Tensor t) => t.narrow(0, start, length);
        var gradient = Part(_flat.Gradients);
        var expAvg = Part(c.State.exp_avg);
        var expAvgSq = Part(c.State.exp_avg_sq);

        // The same operations, in the same order, as TorchSharp's Adam, into preallocated buffers.
        expAvg.mul_(c.Beta1).add_(gradient, alpha: 1 - c.Beta1);
        expAvgSq.mul_(c.Beta2).addcmul_(gradient, gradient, value: 1 - c.Beta2);
        Part(_denominator).copy_(expAvgSq).sqrt_().div_(c.SquareCorrection).add_(c.Eps);
        Part(_flat.Values).addcdiv_(expAvg, Part(_denominator), value: -c.StepSize);
    }

    private readonly record struct Coefficients(State State, double Beta1, double Beta2, double Eps, double StepSize, double SquareCorrection);

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
