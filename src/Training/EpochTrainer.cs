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
internal sealed class EpochTrainer(MnistCnnModule model, TrainerOptions options, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler? scheduler, Generator generator, int batchCount, bool hasNoDigit)
{
    /// <summary>
    /// Trains one epoch over <paramref name="images"/> in a freshly shuffled order; returns the epoch's mean loss and
    /// accuracy (over the images that hold a digit), or null when cancelled between batches.
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
        return (lossSum.item<double>() / n, (double)correct.item<long>() / DigitCount(labels));
    }

    /// <summary>The order of this epoch's images: a permutation drawn from the run's generator (on the CPU), on <paramref name="device"/>.</summary>
    private Tensor Order(long n, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using Scalar count = n.ToScalar();
        var order = options.Shuffle ? torch.randperm(n, generator: generator) : torch.arange(count);
        return order.to(device).MoveToOuterDisposeScope();
    }

    private long DigitCount(Tensor labels)
    {
        if (!hasNoDigit)
        {
            return labels.shape[0];
        }
        using Scalar noDigit = MnistDataset.NoDigit.ToScalar();
        using var digits = labels.lt(noDigit);
        using var count = digits.sum();
        return Math.Max(1, count.item<long>());
    }

    /// <summary>One forward and backward pass over a batch: the tutorial's batch-mean loss, and its gradients.</summary>
    private void ForwardBackward(Tensor x, Tensor y, Tensor lossSum, Tensor correct)
    {
        var output = model.call(x);
        var loss = hasNoDigit ? ReadingLoss(output, y) : F.cross_entropy(output, y);
        loss.backward();
        using (torch.no_grad())
        using (Scalar batchSize = x.shape[0].ToScalar())
        {
            lossSum.add_(loss.detach(), alpha: batchSize);
            correct.add_(output.argmax(1).eq(y).sum());
        }
    }

    /// <summary>
    /// Cross-entropy for digits; for <see cref="MnistDataset.NoDigit"/> images, the divergence of the model's
    /// probabilities from an even spread over the ten digits (zero when the model is evenly unsure), so that a bad cut
    /// reads as doubt. Batch mean, like the tutorial's loss.
    /// </summary>
    private static Tensor ReadingLoss(Tensor output, Tensor y)
    {
        using Scalar noDigit = MnistDataset.NoDigit.ToScalar(), lastDigit = (MnistFormat.ClassCount - 1).ToScalar();
        using Scalar even = (1.0 / MnistFormat.ClassCount).ToScalar(), entropy = Math.Log(MnistFormat.ClassCount).ToScalar();
        var logp = F.log_softmax(output, 1);
        var isDigit = y.lt(noDigit);
        var oneHot = F.one_hot(y.clamp_max(lastDigit), MnistFormat.ClassCount).to(logp.dtype);
        var target = torch.where(isDigit.unsqueeze(1), oneHot, torch.full_like(logp, even));
        var perImage = target.mul(logp).sum(1).neg().sub_(isDigit.logical_not().to(logp.dtype).mul_(entropy));
        return perImage.mean();
    }
}
