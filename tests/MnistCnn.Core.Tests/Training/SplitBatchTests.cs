using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using MnistCnn.Core.Training;
using TorchSharp;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>A batch split across cores gives the gradient, loss and accuracy of one pass, and leaves the thread setting as it was.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class SplitBatchTests(ITestOutputHelper output)
{
    private static (torch.Tensor Gradient, double Loss, long Correct) Pass(MnistCnnModule model, torch.Tensor x, torch.Tensor y, int workers)
    {
        using var flat = FlatParameters.Attach(model);
        using var lossSum = torch.zeros(1, torch.ScalarType.Float64);
        using var correct = torch.zeros(1, torch.ScalarType.Int64);
        var trainer = new Trainer(model);
        if (workers == 1)
        {
            trainer.ForwardBackward(x, y, x.shape[0], lossSum, correct);
        }
        else
        {
            using var threads = new PartThreads(workers, threadsPerPart: 1);
            trainer.ForwardBackwardSplit(x, y, threads, lossSum, correct);
        }
        return (flat.Gradients.clone(), lossSum.item<double>(), correct.item<long>());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void The_summed_gradient_of_the_parts_equals_the_one_pass_gradient_within_float_rounding(int workers)
    {
        using var model = new MnistCnnModule(seed: 8);
        model.train();
        using var digits = SyntheticDigits.Create(64, seed: 9);
        using var x = Data.MnistFormat.ToModelInput(digits.Images);

        var (whole, wholeLoss, wholeCorrect) = Pass(model, x, digits.Labels, 1);
        var (split, splitLoss, splitCorrect) = Pass(model, x, digits.Labels, workers);
        using (whole)
        using (split)
        using (var difference = (whole - split).abs().max())
        using (var scale = whole.abs().max())
        {
            double relative = difference.item<float>() / scale.item<float>();
            output.WriteLine($"{workers} parts: largest gradient difference {difference.item<float>():E2} ({relative:E2} of the largest gradient)");
            Assert.True(relative <= 1e-5, $"{relative}");
        }
        Assert.True(Math.Abs(wholeLoss - splitLoss) <= 1e-6 * Math.Abs(wholeLoss), $"loss {wholeLoss} vs {splitLoss}");
        Assert.Equal(wholeCorrect, splitCorrect);
    }

    [Fact]
    public void A_split_pass_repeats_bit_for_bit()
    {
        using var model = new MnistCnnModule(seed: 8);
        model.train();
        using var digits = SyntheticDigits.Create(64, seed: 9);
        using var x = Data.MnistFormat.ToModelInput(digits.Images);

        // Four parts finish in any order; their gradients are still summed in part order.
        var (first, firstLoss, _) = Pass(model, x, digits.Labels, 4);
        var (second, secondLoss, _) = Pass(model, x, digits.Labels, 4);
        using (first)
        using (second)
        {
            Assert.Equal(first.data<float>().ToArray(), second.data<float>().ToArray());
        }
        Assert.Equal(firstLoss, secondLoss);
    }

    [Theory]
    [InlineData(2, 64, 2, 1)]
    [InlineData(16, 64, 4, 4)]
    [InlineData(8, 128, 8, 1)]
    [InlineData(1, 64, 1, 1)]
    [InlineData(2, 16, 1, 2)]
    [InlineData(16, 8, 1, 16)]
    public void The_plan_gives_each_part_at_least_the_minimum_and_the_spare_cores_to_the_parts(int cores, int batchSize, int parts, int threadsPerPart) =>
        Assert.Equal((parts, threadsPerPart), PartThreads.Plan(cores, batchSize, minimumPartSize: 16));

    [Fact]
    public void Each_part_runs_with_the_planned_threads_and_an_exception_in_a_part_reaches_the_caller()
    {
        using var threads = new PartThreads(3, threadsPerPart: 1);
        int callerThreads = torch.get_num_threads();
        var seen = new int[3];
        threads.Run(part => seen[part] = part == 0 ? -1 : torch.get_num_threads());
        Assert.Equal([-1, 1, 1], seen);

        var error = Assert.Throws<InvalidOperationException>(() => threads.Run(part =>
        {
            if (part == 2)
            {
                throw new InvalidOperationException("part 2 failed");
            }
        }));
        Assert.Equal("part 2 failed", error.Message);

        // Still usable after a failure, and the caller's own setting is untouched.
        threads.Run(part => seen[part] = part);
        Assert.Equal([0, 1, 2], seen);
        Assert.Equal(callerThreads, torch.get_num_threads());
    }

    [Fact]
    public void Fit_restores_the_callers_intra_op_thread_count()
    {
        int before = torch.get_num_threads();
        using var digits = SyntheticDigits.Create(128);
        using var model = new MnistCnnModule(seed: 1);
        new Trainer(model, new TrainerOptions { Epochs = 1, Seed = 1, Device = ComputeDevice.Cpu, SplitBatchAcrossCores = true }).Fit(digits, digits, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(before, torch.get_num_threads());
    }
}
