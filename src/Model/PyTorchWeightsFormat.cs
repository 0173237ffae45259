using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Model;

/// <summary>PyTorch <c>state_dict</c> files (<c>torch.save(model.state_dict(), path)</c>), read and written with TorchSharp.PyBridge.</summary>
internal static class PyTorchWeightsFormat
{
    /// <summary>
    /// True when <paramref name="stream"/> starts like a file written by PyTorch's <c>torch.save</c>: a zip archive
    /// (PyTorch 1.6 and later) or a legacy pickle. The stream is left where it was.
    /// </summary>
    public static bool Recognises(Stream stream)
    {
        long start = stream.Position;
        Span<byte> head = stackalloc byte[4];
        int read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 4 && ((head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) || head[0] == 0x80);
    }

    /// <summary>Reads a PyTorch <c>state_dict</c> (<c>torch.save(model.state_dict(), path)</c>) into float32 CPU tensors.</summary>
    public static Dictionary<string, Tensor> Read(Stream stream, string source)
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
            throw WeightsFile.Bad(source, $"it is not a PyTorch state_dict that can be read ({ex.GetType().Name}: {ex.Message}). Save one with torch.save(model.state_dict(), path).", ex);
        }

        var result = new Dictionary<string, Tensor>();
        foreach (System.Collections.DictionaryEntry entry in table)
        {
            if (entry.Key is not string name || entry.Value is not Tensor tensor)
            {
                throw WeightsFile.Bad(source, $"it holds '{entry.Key}' of type {entry.Value?.GetType().Name ?? "null"}, not a tensor; it is not a state_dict. Save one with torch.save(model.state_dict(), path).");
            }
            if (!tensor.is_floating_point())
            {
                throw WeightsFile.Bad(source, $"tensor '{name}' has element type {tensor.dtype}; weights must be floating point.");
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
    public static void Write(Stream stream, IDictionary<string, Tensor> stateDict)
    {
        var table = new System.Collections.Hashtable();
        foreach (var (name, tensor) in stateDict)
        {
            table[name] = tensor;
        }
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, table, leaveOpen: true);
    }
}
