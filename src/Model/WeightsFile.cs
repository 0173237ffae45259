using MnistCnn.Core.Data;
using static TorchSharp.torch;

namespace MnistCnn.Core.Model;

/// <summary>
/// What both weights formats share: opening a model file with a clear error, the architecture check that runs before
/// any weight changes, and the error for a bad file. The formats themselves are <see cref="TorchSharpWeightsFormat"/>
/// and <see cref="PyTorchWeightsFormat"/>.
/// </summary>
internal static class WeightsFile
{
    public static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Model file '{path}' not found. Train one with Trainer.Fit and save it with SaveWeights, or use DigitClassifier.LoadPretrained().", path, ex);
        }
    }

    /// <summary>Throws <see cref="InvalidDataException"/> listing missing keys, unexpected keys and shape mismatches.</summary>
    public static void CheckCompatible(IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, long[]> actual, string source, string architecture = nameof(MnistCnnModule))
    {
        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).ToList();
        var unexpected = actual.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = expected.Keys.Where(actual.ContainsKey)
            .Where(k => !expected[k].SequenceEqual(actual[k]))
            .Select(k => $"{k} is [{string.Join(", ", actual[k])}], expected [{string.Join(", ", expected[k])}]")
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count == 0)
        {
            return;
        }
        var parts = new List<string>();
        if (missing.Count > 0)
        {
            parts.Add("missing keys: " + string.Join(", ", missing));
        }
        if (unexpected.Count > 0)
        {
            parts.Add("unexpected keys: " + string.Join(", ", unexpected));
        }
        if (mismatched.Count > 0)
        {
            parts.Add("shape mismatches: " + string.Join("; ", mismatched));
        }
        throw InvalidFile.Create(source, $"not a model of the {architecture} architecture (" + string.Join("; ", parts) + "). Nothing was loaded.");
    }

    /// <summary>The error for a damaged or foreign weights file: which file, what is wrong, and that nothing was loaded.</summary>
    public static InvalidDataException Bad(string source, string defect, Exception? inner = null) => InvalidFile.Create(source, defect + " Nothing was loaded.", inner);

    /// <summary>Copies every parameter of <paramref name="weights"/> into <paramref name="module"/>, after checking that names and shapes all match.</summary>
    public static void CopyInto(TorchSharp.torch.nn.Module module, IReadOnlyDictionary<string, Tensor> weights, string source, string architecture)
    {
        var own = module.state_dict();
        CheckCompatible(own.ToDictionary(kv => kv.Key, kv => kv.Value.shape), weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape), source, architecture);
        using (TorchSharp.torch.no_grad())
        {
            foreach (var (name, target) in own)
            {
                target.copy_(weights[name]);
            }
        }
    }

    public static void DisposeAll(IReadOnlyDictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }
    }
}
