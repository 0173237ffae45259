using MnistCnn.Core.Model;

namespace MnistCnn.Core.Training;

/// <summary>
/// Hooks that <see cref="Trainer"/> calls, in registration order, at the begin of training, after each epoch and at
/// the end. A callback stops training with <see cref="EpochContext.RequestStop"/>, never by throwing. A callback that
/// keeps state resets it in <see cref="OnTrainingBegin"/>, so one instance can serve several <see cref="Trainer.Fit"/> calls.
/// </summary>
public interface IEpochCallback
{
    /// <summary>Called once before the first epoch of each <see cref="Trainer.Fit"/>.</summary>
    void OnTrainingBegin(MnistCnnModule model, TrainerOptions options)
    {
    }

    /// <summary>Called after each epoch's training and evaluation.</summary>
    void OnEpochEnd(EpochContext context);

    /// <summary>Called once when training ends, however it ends: all epochs, a stop request, cancellation, or an exception (which <see cref="Trainer.Fit"/> then rethrows).</summary>
    void OnTrainingEnd(MnistCnnModule model, IReadOnlyList<EpochMetrics> history)
    {
    }
}
