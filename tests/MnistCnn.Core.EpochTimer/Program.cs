using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using MnistCnn.Core.Training;

// usage: MnistCnn.Core.EpochTimer DATA_DIR EPOCHS
// Trains the tutorial's model on the CPU at the tutorial's settings (seed 1) and prints one line per epoch:
// "EPOCH <n> <seconds> <test accuracy>". Only the public API of the earliest compared commit (1d5b2dc) is used.
string data = args.Length > 0 ? args[0] : Path.Combine("data", "mnist");
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;

using var train = MnistDataset.Load(data, MnistSplit.Train);
using var test = MnistDataset.Load(data, MnistSplit.Test);

// The first batches of a process pay for libtorch's kernel selection and memory growth: keep them out of the figures.
using (var warmModel = new MnistCnnModule(seed: 1))
using (var warmTrain = train.Take(2048))
using (var warmTest = test.Take(256))
{
    new Trainer(warmModel, Options(1)).Fit(warmTrain, warmTest);
}

using var model = new MnistCnnModule(seed: 1);
foreach (var epoch in new Trainer(model, Options(epochs)).Fit(train, test).History)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EPOCH {epoch.Epoch} {epoch.Duration.TotalSeconds:F3} {epoch.TestAccuracy:F4}"));
}
return 0;

static TrainerOptions Options(int epochs) => new() { Epochs = epochs, Seed = 1, Device = ComputeDevice.Cpu };
