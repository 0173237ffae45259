using MnistCnn.Core.Data;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Model;

// save PATH: save models to PATH over and over, printing "saved N" after each.
// download MIRROR DIR: download MNIST from MIRROR into DIR.
// predict-batch N[,N...]: the pretrained model (TorchSharp) on a batch of each size in turn, printing "predicted" (what
// libtorch writes to stderr on the way is what the caller checks).
switch (args)
{
    case ["save", string path]:
        using (var a = new MnistCnnModule(seed: 1))
        using (var b = new MnistCnnModule(seed: 2))
        {
            for (int n = 0; ; n++)
            {
                (n % 2 == 0 ? a : b).SaveWeights(path);
                Console.WriteLine($"saved {n}");
            }
        }
    case ["download", string mirror, string dir]:
        await MnistDataset.DownloadAsync(dir, new MnistDownloadOptions { Mirrors = [new Uri(mirror)] });
        return 0;
    case ["predict-batch", string sizes]:
        using (var classifier = DigitClassifier.LoadPretrained())
        {
            var random = new Random(1);
            foreach (int n in sizes.Split(',').Select(size => int.Parse(size, System.Globalization.CultureInfo.InvariantCulture)))
            {
                var pixels = new float[n * MnistFormat.PixelsPerImage];
                for (int i = 0; i < pixels.Length; i++)
                {
                    pixels[i] = random.NextSingle();
                }
                _ = classifier.PredictBatch(pixels);
            }
        }
        Console.WriteLine("predicted");
        return 0;
    default:
        Console.Error.WriteLine("usage: save PATH | download MIRROR DIR | predict-batch N[,N...]");
        return 2;
}
