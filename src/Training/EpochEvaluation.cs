using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MnistCnn.Core.Training;

/// <summary>
/// What each epoch measures on the test set: mean cross-entropy and accuracy, in inference mode, batch by batch, with
/// the sums kept on the device and read once.
/// </summary>
internal static class EpochEvaluation
{
    public static (double Loss, double Accuracy) Run(MnistCnnModule model, Tensor images, Tensor labels, int batchSize)
    {
        model.eval();
        using var inference = torch.inference_mode();
        using var lossSum = torch.zeros(1, ScalarType.Float64, images.device);
        using var correct = torch.zeros(1, ScalarType.Int64, images.device);
        long n = images.shape[0];
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            long size = Math.Min(batchSize, n - start);
            var x = MnistFormat.ToModelInput(images.narrow(0, start, size));
            var y = labels.narrow(0, start, size);
            var output = model.call(x);
            lossSum.add_(F.cross_entropy(output, y, reduction: nn.Reduction.Sum));
            correct.add_(output.argmax(1).eq(y).sum());
        }
        return (lossSum.item<double>() / n, (double)correct.item<long>() / n);
    }
}
