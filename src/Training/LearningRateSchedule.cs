namespace MnistCnn.Core.Training;

/// <summary>How the learning rate moves during training.</summary>
public enum LearningRateSchedule
{
    /// <summary>A constant learning rate (the seed script's choice).</summary>
    Constant,

    /// <summary>One-cycle: warm up to <see cref="TrainerOptions.LearningRate"/> over the first 25% of steps, then anneal to near zero.</summary>
    OneCycle,
}
