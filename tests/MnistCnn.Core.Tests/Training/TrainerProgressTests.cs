using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using MnistCnn.Core.Training;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class TrainerProgressTests
{
    [Fact]
    public void Progress_is_read_on_the_first_and_last_batch_and_every_interval_between()
    {
        using var digits = SyntheticDigits.Create(330);
        using var model = new MnistCnnModule(seed: 2);
        var reports = new List<BatchProgress>();
        var options = new TrainerOptions { Epochs = 2, BatchSize = 32, ProgressInterval = 4, Seed = 2, Device = ComputeDevice.Cpu };

        new Trainer(model, options).Fit(digits, digits, new SyncProgress<BatchProgress>(reports.Add), TestContext.Current.CancellationToken);

        int[] batches = [1, 4, 8, 11];
        Assert.Equal([.. batches.Select(b => (1, b)), .. batches.Select(b => (2, b))], reports.Select(r => (r.Epoch, r.Batch)));
        Assert.All(reports, r => Assert.Equal(11, r.BatchCount));
        Assert.All(reports.Where(r => r.Batch == 11), r => Assert.Equal(330, r.Images));
        Assert.All(reports, r => Assert.True(r.MeanLoss > 0 && double.IsFinite(r.MeanLoss)));
    }

    [Fact]
    public void A_progress_interval_below_one_is_refused_naming_it()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { ProgressInterval = 0 }.Validate());
        Assert.Equal("ProgressInterval", ex.ParamName);
    }
}
