using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using MnistCnn.Samples;

// Recognises the digit in each image, or with --read the whole number (--digits N or MIN-MAX: how many it has): one
// line per image on stdout, "<path>\t<digit or number>\t<confidence>". Diagnostics go to stderr; a bad image is
// reported there and the rest still run; exit code 1 if any failed.
const string usage = "usage: MnistCnn.Predict [--model FILE] [--read [--digits N|MIN-MAX]] [--save-preprocessed DIR] IMAGE...";

return SampleProgram.Run("MnistCnn.Predict", usage, () =>
{
    var options = new SampleArgs(args, valued: new HashSet<string> { "--model", "--save-preprocessed", "--digits" }, flags: new HashSet<string> { "--help", "--read" });
    if (options.Has("--help"))
    {
        Console.WriteLine(usage);
        return 0;
    }
    if (options.Positional.Count == 0)
    {
        throw new UsageException("no image given.");
    }
    ReadOptions? readOptions;
    try
    {
        readOptions = options.Get("--digits") is { } count ? DigitCounts.Parse(count) : null;
    }
    catch (FormatException ex)
    {
        throw new UsageException("--" + ex.Message);
    }
    if (readOptions is not null && !options.Has("--read"))
    {
        throw new UsageException("--digits goes with --read.");
    }
    string? saveDir = options.Get("--save-preprocessed");
    if (saveDir is not null)
    {
        Directory.CreateDirectory(saveDir);
    }

    // An .onnx model runs on ONNX Runtime; TorchSharp weights and PyTorch .pth files on TorchSharp.
    using IDigitClassifier classifier = options.Get("--model") switch
    {
        null => DigitClassifier.LoadPretrained(),
        string onnx when onnx.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) => OnnxDigitClassifier.FromFile(onnx),
        string weights => DigitClassifier.FromFile(weights),
    };

    if (options.Has("--read"))
    {
        return ReadNumbers(new DigitReader(classifier), readOptions, options.Positional, saveDir);
    }

    // Preprocess every image (a failure is reported and skipped), then classify them all in batched forward passes.
    var paths = new List<string>();
    var digits = new List<PreprocessedDigit>();
    bool anyFailed = false;
    foreach (string path in options.Positional)
    {
        anyFailed |= !Reported(path, () =>
        {
            var digit = classifier.Preprocessor.ProcessFile(path);
            if (saveDir is not null)
            {
                digit.SaveAsPng(Path.Combine(saveDir, Path.GetFileNameWithoutExtension(path) + ".28x28.png"));
            }
            paths.Add(path);
            digits.Add(digit);
        });
    }

    var predictions = classifier.PredictBatch(digits);
    for (int i = 0; i < paths.Count; i++)
    {
        Console.WriteLine($"{paths[i]}\t{predictions[i].Digit}\t{predictions[i].Confidence:0.0000}");
    }
    return anyFailed ? 1 : 0;
});

// Reads the number in each image; each digit's 28 x 28 crop is saved as <name>.<position>.28x28.png when asked.
static int ReadNumbers(DigitReader reader, ReadOptions? readOptions, IReadOnlyList<string> paths, string? saveDir)
{
    bool anyFailed = false;
    foreach (string path in paths)
    {
        anyFailed |= !Reported(path, () =>
        {
            var reading = reader.Read(path, readOptions);
            if (saveDir is not null)
            {
                for (int k = 0; k < reading.Digits.Count; k++)
                {
                    reading.Digits[k].Input.SaveAsPng(Path.Combine(saveDir, $"{Path.GetFileNameWithoutExtension(path)}.{k + 1}.28x28.png"));
                }
            }
            Console.WriteLine($"{path}\t{reading.Text}\t{reading.Confidence:0.0000}");
        });
    }
    return anyFailed ? 1 : 0;
}

// Runs one image's work; a bad or unreadable image is reported on stderr (false) and the caller goes on to the next.
static bool Reported(string path, Action work)
{
    try
    {
        work();
        return true;
    }
    catch (DigitImageException ex)
    {
        Console.Error.WriteLine(ex.Message);
    }
    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"{path}: {ex.Message}");
    }
    return false;
}
