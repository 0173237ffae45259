namespace MnistCnn.Core.Training;

/// <summary>Progress within an epoch, reported every <see cref="TrainerOptions.ProgressInterval"/> batches, and after the first and the last.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="BatchCount">Batches in the epoch.</param>
/// <param name="Images">Images done in this epoch.</param>
/// <param name="MeanLoss">Mean training loss over the images so far.</param>
public readonly record struct BatchProgress(int Epoch, int Batch, int BatchCount, int Images, double MeanLoss);
