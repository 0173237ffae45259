using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;

namespace MnistCnn.Core.Hosting;

/// <summary>Builds the backend <see cref="DigitClassifierOptions"/> asks for, and logs what it loaded.</summary>
internal static partial class DigitClassifierFactory
{
    public static IDigitClassifier Create(DigitClassifierOptions options, ILogger logger)
    {
        long start = Stopwatch.GetTimestamp();
        var preprocessor = new DigitImagePreprocessor(options.Decoding);
        IDigitClassifier classifier;
        if (options.Backend == DigitClassifierBackend.Onnx)
        {
            classifier = options.ModelPath is { } path
                ? OnnxDigitClassifier.FromFile(path, preprocessor, options.IntraOpThreads)
                : OnnxDigitClassifier.LoadPretrained(preprocessor, options.IntraOpThreads);
        }
        else
        {
            classifier = options.ModelPath is { } path
                ? DigitClassifier.FromFile(path, preprocessor, options.Device)
                : DigitClassifier.LoadPretrained(preprocessor, options.Device);
            if (options.IntraOpThreads > 0)
            {
                TorchSharp.torch.set_num_threads(options.IntraOpThreads);
            }
        }
        double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        LogLoaded(logger, options.Backend, options.ModelPath ?? "the embedded model", options.IntraOpThreads, milliseconds);
        return classifier;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Digit classifier ready: {Backend} backend, {Model}, intra-op threads {Threads} (0: the runtime's choice), loaded in {Milliseconds:F0} ms")]
    private static partial void LogLoaded(ILogger logger, DigitClassifierBackend backend, string model, int threads, double milliseconds);
}
