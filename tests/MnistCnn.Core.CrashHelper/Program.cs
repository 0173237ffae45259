using MnistCnn.Core.Data;
using MnistCnn.Core.Model;

// save PATH: save models to PATH over and over, printing "saved N" after each.
// download MIRROR DIR: download MNIST from MIRROR into DIR.
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
    default:
        Console.Error.WriteLine("usage: save PATH | download MIRROR DIR");
        return 2;
}
