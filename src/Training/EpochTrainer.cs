using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MnistCnn.Core.Training;

/// <summary>
/// The batch stepping of one <see cref="Trainer.Fit"/>: each epoch reshuffles, slices every batch from the one uint8
/// tensor, optionally augments it, and takes one forward pass, one backward pass and one optimizer step. Metrics stay on
/// the device; the running loss is read only for a progress report.
/// </summary>
internal sealed class EpochTrainer(MnistCnnModule model, TrainerOptions options, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler? scheduler, Generator generator, int batchCount)
{
    /// <summary>
    /// Trains one epoch over <paramref name="images"/> in a freshly shuffled order; returns the epoch's mean loss and
    /// accuracy, or null when cancelled between batches.
    /// </summary>
    public (double Loss, double Accuracy)? Run(int epoch, Tensor images, Tensor labels, IProgress<BatchProgress>? progress, CancellationToken cancellationToken)
    {
        model.train();
        long n = images.shape[0];
        using var order = Order(n, images.device);
        using var lossSum = torch.zeros(1, ScalarType.Float64, images.device);
        using var correct = torch.zeros(1, ScalarType.Int64, images.device);

        for (int batch = 0; batch < batchCount; batch++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            using var scope = torch.NewDisposeScope();
            int start = batch * options.BatchSize;
            int size = (int)Math.Min(options.BatchSize, n - start);
            var indices = order.narrow(0, start, size);
            var x = MnistFormat.ToModelInput(images.index_select(0, indices));
            if (options.Augment)
            {
                x = Augmentation.Apply(x, generator);
            }
            var y = labels.index_select(0, indices);

            optimizer.zero_grad();
            ForwardBackward(x, y, lossSum, correct);
            optimizer.step();
            scheduler?.step();
            // Reading the running loss waits for the device; do it only every ProgressInterval batches, and only for a listener.
            if (progress is not null && (batch == 0 || (batch + 1) % options.ProgressInterval == 0 || batch + 1 == batchCount))
            {
                progress.Report(new BatchProgress(epoch, batch + 1, batchCount, start + size, lossSum.item<double>() / (start + size)));
            }
        }
        return (lossSum.item<double>() / n, (double)correct.item<long>() / n);
    }

    /// <summary>The order of this epoch's images: a permutation drawn from the run's generator (on the CPU), on <paramref name="device"/>.</summary>
    private Tensor Order(long n, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using Scalar count = n.ToScalar();
        var order = options.Shuffle ? torch.randperm(n, generator: generator) : torch.arange(count);
        return order.to(device).MoveToOuterDisposeScope();
    }

    /// <summary>One forward and backward pass over a batch: the tutorial's batch-mean loss, and its gradients.</summary>
    private void ForwardBackward(Tensor x, Tensor y, Tensor lossSum, Tensor correct)
    {
        var output = model.call(x);
        var loss = F.cross_entropy(output, y);
        loss.backward();
        using (torch.no_grad())
        using (Scalar batchSize = x.shape[0].ToScalar())
        {
            lossSum.add_(loss.detach(), alpha: batchSize);
            correct.add_(output.argmax(1).eq(y).sum());
        }
    }
}
