using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MnistCnn.Core.Data;
using MnistCnn.Core.Model;
using MnistCnn.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// Trains an <see cref="MnistCnnModule"/> the way the PyTorch tutorial does: Adam, cross-entropy, shuffled
/// mini-batches, and an evaluation on the test set after every epoch, followed by the registered callbacks.
/// </summary>
public sealed partial class Trainer
{
    private readonly MnistCnnModule _model;
    private readonly ILogger _logger;
    private readonly List<IEpochCallback> _callbacks = [];

    /// <summary>Creates a trainer for <paramref name="model"/> with <paramref name="options"/> (default: the tutorial's settings).</summary>
    public Trainer(MnistCnnModule model, TrainerOptions? options = null, ILogger<Trainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new TrainerOptions();
        options.Validate();
        _model = model;
        Options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The options in force.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The callbacks, in the order they run.</summary>
    public IReadOnlyList<IEpochCallback> Callbacks => _callbacks;

    /// <summary>Adds a callback; callbacks run in the order added. Returns this trainer.</summary>
    public Trainer Add(IEpochCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _callbacks.Add(callback);
        return this;
    }

    /// <summary>
    /// Trains on <paramref name="trainSet"/> for <see cref="TrainerOptions.Epochs"/> epochs, evaluating on
    /// <paramref name="testSet"/> after each. Cancellation is checked between batches: training then stops at once
    /// and the result holds the epochs completed so far (<see cref="TrainingResult.Cancelled"/> is true).
    /// </summary>
    public TrainingResult Fit(MnistDataset trainSet, MnistDataset testSet, IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainSet);
        ArgumentNullException.ThrowIfNull(testSet);
        testSet.ThrowIfNoDigit(nameof(testSet));

        var total = Stopwatch.StartNew();
        Device device = DeviceSelector.Resolve(Options.Device, _logger);
        _model.to(device);

        foreach (var callback in _callbacks)
        {
            callback.OnTrainingBegin(_model, Options);
        }

        var history = new List<EpochMetrics>();
        bool cancelled = false;
        string? stopReason = null;
        DeviceCopies? trainOnDevice = null, testOnDevice = null;
        FlatParameters? flat = null;
        try
        {
            trainOnDevice = new DeviceCopies(trainSet, device);
            testOnDevice = new DeviceCopies(testSet, device);
            flat = Options.Optimizer == TrainerOptimizer.FlatAdam ? FlatParameters.Attach(_model) : null;
            using optim.Optimizer optimizer = flat is null ? torch.optim.Adam(_model.parameters(), Options.LearningRate) : new FlatAdam(flat, Options.LearningRate);
            int batchesPerEpoch = (trainSet.Count + Options.BatchSize - 1) / Options.BatchSize;
            var scheduler = Options.Schedule == LearningRateSchedule.OneCycle
                ? torch.optim.lr_scheduler.OneCycleLR(optimizer, Options.LearningRate, total_steps: batchesPerEpoch * Options.Epochs, pct_start: 0.25)
                : null;
            using var generator = new Generator((ulong)(Options.Seed ?? Random.Shared.NextInt64()), torch.CPU);
            var epochs = new EpochTrainer(_model, Options, optimizer, scheduler, generator, batchesPerEpoch, trainSet.HasNoDigit);

            for (int epoch = 1; epoch <= Options.Epochs; epoch++)
            {
                var watch = Stopwatch.StartNew();
                var train = epochs.Run(epoch, trainOnDevice.Images, trainOnDevice.Labels, progress, cancellationToken);
                if (train is null)
                {
                    cancelled = true;
                    LogCancelled(_logger, epoch);
                    break;
                }
                var test = EpochEvaluation.Run(_model, testOnDevice.Images, testOnDevice.Labels, Options.EvaluationBatchSize);
                watch.Stop();

                var metrics = new EpochMetrics(epoch, train.Value.Loss, train.Value.Accuracy, test.Loss, test.Accuracy, watch.Elapsed, trainSet.Count);
                history.Add(metrics);
                LogEpoch(_logger, epoch, metrics.TrainLoss, metrics.TrainAccuracy, metrics.TestLoss, metrics.TestAccuracy, watch.Elapsed.TotalSeconds);

                var context = new EpochContext(_model, history, Options.Epochs);
                foreach (var callback in _callbacks)
                {
                    callback.OnEpochEnd(context);
                }
                if (context.StopReason is not null)
                {
                    stopReason = context.StopReason;
                    LogStopped(_logger, epoch, stopReason);
                    break;
                }
            }
        }
        finally
        {
            flat?.Dispose();
            trainOnDevice?.Dispose();
            testOnDevice?.Dispose();
            _model.eval();

            // Also when training failed, so callbacks release and restore what they hold (the best weights, files).
            foreach (var callback in _callbacks)
            {
                callback.OnTrainingEnd(_model, history);
            }
        }
        return new TrainingResult(history, cancelled, stopReason, total.Elapsed);
    }

    /// <summary>
    /// Mean cross-entropy loss and accuracy (a fraction) of the model on <paramref name="dataset"/>, as each epoch
    /// measures them. Applications evaluate with <see cref="Inference.DigitClassifierExtensions.Evaluate"/>, which also gives the
    /// confusion matrix and the misclassified images.
    /// </summary>
    internal (double Loss, double Accuracy) Evaluate(MnistDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        dataset.ThrowIfNoDigit(nameof(dataset));
        using var copies = new DeviceCopies(dataset, _model.Device);
        return EpochEvaluation.Run(_model, copies.Images, copies.Labels, Options.EvaluationBatchSize);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Epoch {Epoch}: train loss {TrainLoss:F6}, train accuracy {TrainAccuracy:P2}, test loss {TestLoss:F6}, test accuracy {TestAccuracy:P2}, {Seconds:F2} s")]
    private static partial void LogEpoch(ILogger logger, int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy, double seconds);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Training stopped after epoch {Epoch}: {Reason}")]
    private static partial void LogStopped(ILogger logger, int epoch, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Training cancelled during epoch {Epoch}; returning the epochs completed before it")]
    private static partial void LogCancelled(ILogger logger, int epoch);
}
