using System.Runtime.InteropServices;
using System.Text;
using MnistCnn.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Model;

/// <summary>Validating reads of TorchSharp's module format (as <c>Module.save</c> writes it) and of PyTorch state_dicts.</summary>
internal static class WeightsFile
{
    private const int MaxEntries = 256;
    private const int MaxNameBytes = 1024;
    private const int MaxRank = 8;

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

    /// <summary>Reads every tensor of a TorchSharp module file into CPU tensors, checking each length against what remains.</summary>
    public static Dictionary<string, Tensor> ReadTorchSharp(Stream stream, string source)
    {
        var result = new Dictionary<string, Tensor>();
        try
        {
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            long count = Decode(reader);
            if (count is <= 0 or > MaxEntries)
            {
                throw Bad(source, $"it declares {count} tensors, which no model of this library has; it is not a TorchSharp weights file.");
            }
            for (long i = 0; i < count; i++)
            {
                int nameLength = Read7BitLength(reader);
                if (nameLength is <= 0 or > MaxNameBytes)
                {
                    throw Bad(source, $"entry {i} has a name of {nameLength} bytes; it is not a TorchSharp weights file.");
                }
                string name = Encoding.UTF8.GetString(reader.ReadBytes(nameLength));
                var type = (ScalarType)Decode(reader);
                if (type != ScalarType.Float32)
                {
                    throw Bad(source, $"tensor '{name}' has element type {type}; this model stores float32.");
                }
                long rank = Decode(reader);
                if (rank is < 0 or > MaxRank)
                {
                    throw Bad(source, $"tensor '{name}' declares rank {rank}; the file is damaged.");
                }
                var shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = Decode(reader);
                    elements *= shape[d];
                    if (shape[d] < 0 || elements > int.MaxValue / sizeof(float))
                    {
                        throw Bad(source, $"tensor '{name}' declares an impossible shape; the file is damaged.");
                    }
                }
                long bytes = elements * sizeof(float);
                if (stream.CanSeek && bytes > stream.Length - stream.Position)
                {
                    throw Bad(source, $"tensor '{name}' needs {bytes} bytes but only {stream.Length - stream.Position} remain; the file is truncated.");
                }
                var values = new float[elements];
                stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                var tensor = torch.tensor(values, shape);
                if (!result.TryAdd(name, tensor))
                {
                    tensor.Dispose();
                    throw Bad(source, $"tensor '{name}' appears twice; the file is damaged.");
                }
            }
            if (stream.CanSeek && stream.Position != stream.Length)
            {
                throw Bad(source, $"{stream.Length - stream.Position} unexpected bytes follow the last tensor; the file is damaged or not a weights file.");
            }
            return result;
        }
        catch (Exception ex) when (ex is EndOfStreamException or DecoderFallbackException or OverflowException)
        {
            DisposeAll(result);
            throw Bad(source, "it ends early or is not in TorchSharp's format; it is truncated or not a weights file.", ex);
        }
        catch
        {
            DisposeAll(result);
            throw;
        }
    }

    /// <summary>
    /// True when <paramref name="stream"/> starts like a file written by PyTorch's <c>torch.save</c>: a zip archive
    /// (PyTorch 1.6 and later) or a legacy pickle. The stream is left where it was.
    /// </summary>
    public static bool LooksLikePyTorch(Stream stream)
    {
        long start = stream.Position;
        Span<byte> head = stackalloc byte[4];
        int read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 4 && ((head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) || head[0] == 0x80);
    }

    /// <summary>Reads a PyTorch <c>state_dict</c> (<c>torch.save(model.state_dict(), path)</c>) into float32 CPU tensors.</summary>
    public static Dictionary<string, Tensor> ReadPyTorch(Stream stream, string source)
    {
        // The unpickler makes tensors of its own on the way (storages, views): the scope disposes them all, and only the
        // float32 copies returned leave it.
        using var scope = torch.NewDisposeScope();
        System.Collections.Hashtable table;
        try
        {
            table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Bad(source, $"it is not a PyTorch state_dict that can be read ({ex.GetType().Name}: {ex.Message}). Save one with torch.save(model.state_dict(), path).", ex);
        }

        var result = new Dictionary<string, Tensor>();
        foreach (System.Collections.DictionaryEntry entry in table)
        {
            if (entry.Key is not string name || entry.Value is not Tensor tensor)
            {
                throw Bad(source, $"it holds '{entry.Key}' of type {entry.Value?.GetType().Name ?? "null"}, not a tensor; it is not a state_dict. Save one with torch.save(model.state_dict(), path).");
            }
            if (!tensor.is_floating_point())
            {
                throw Bad(source, $"tensor '{name}' has element type {tensor.dtype}; weights must be floating point.");
            }
            result.Add(name, tensor.dtype == ScalarType.Float32 ? tensor.alias() : tensor.to(ScalarType.Float32));
        }
        foreach (var tensor in result.Values)
        {
            tensor.MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <summary>Writes a PyTorch <c>state_dict</c> that <c>torch.load</c> and <c>load_state_dict</c> accept.</summary>
    public static void WritePyTorch(Stream stream, IDictionary<string, Tensor> stateDict)
    {
        var table = new System.Collections.Hashtable();
        foreach (var (name, tensor) in stateDict)
        {
            table[name] = tensor;
        }
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, table, leaveOpen: true);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> listing missing keys, unexpected keys and shape mismatches.</summary>
    public static void CheckCompatible(IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, long[]> actual, string source)
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
        throw InvalidFile.Create(source, "not a model of the MnistCnnModule architecture (" + string.Join("; ", parts) + "). Nothing was loaded.");
    }

    private static InvalidDataException Bad(string source, string defect, Exception? inner = null) => InvalidFile.Create(source, defect + " Nothing was loaded.", inner);

    public static void DisposeAll(IReadOnlyDictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }
    }

    /// <summary>TorchSharp's LEB128 encoding of a non-negative integer.</summary>
    private static long Decode(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new OverflowException("LEB128 value too long.");
    }

    private static int Read7BitLength(BinaryReader reader)
    {
        long value = Decode(reader);
        return value > int.MaxValue ? -1 : (int)value;
    }
}
