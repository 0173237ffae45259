using MnistCnn.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// All of a model's parameters as views into one contiguous tensor, and their gradients as views into another, so
/// autograd accumulates every gradient in place into one buffer and an optimizer updates the whole model with a
/// handful of operations. The model keeps its own parameters (names, shapes, state_dict); only their storage moves.
/// Attach again after the model moves to another device.
/// </summary>
internal sealed class FlatParameters : IDisposable
{
    private FlatParameters(Parameter values, Tensor gradients)
    {
        Values = values;
        Gradients = gradients;
    }

    /// <summary>One parameter holding every value of the model's; its gradient is <see cref="Gradients"/>.</summary>
    public Parameter Values { get; }

    /// <summary>Every gradient of the model's, in the same order.</summary>
    public Tensor Gradients { get; }

    public static FlatParameters Attach(MnistCnnModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.parameters().ToList();
        long total = parameters.Sum(p => p.numel());
        var device = parameters[0].device;
        using (torch.no_grad())
        {
            var values = new Parameter(torch.empty(total, ScalarType.Float32, device), requires_grad: true);
            var gradients = torch.zeros(total, ScalarType.Float32, device);
            long offset = 0;
            foreach (var parameter in parameters)
            {
                using var scope = torch.NewDisposeScope();
                long n = parameter.numel();
                var valueView = values.narrow(0, offset, n).view(parameter.shape);
                valueView.copy_(parameter);
                parameter.set_(valueView);
                parameter.grad = gradients.narrow(0, offset, n).view(parameter.shape);
                offset += n;
            }
            values.grad = gradients;
            return new FlatParameters(values, gradients);
        }
    }

    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
    }
}
