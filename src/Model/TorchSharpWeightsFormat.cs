using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Model;

/// <summary>
/// Validating reads of TorchSharp's module format, as <c>Module.save</c> writes it: every count, name and shape is
/// bounded before anything is allocated, and every length checked against what remains of the stream.
/// </summary>
internal static class TorchSharpWeightsFormat
{
    private const int MaxEntries = 256;
    private const int MaxNameBytes = 1024;
    private const int MaxRank = 8;

    /// <summary>Reads every tensor of a TorchSharp module file into CPU tensors, checking each length against what remains.</summary>
    public static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        var result = new Dictionary<string, Tensor>();
        try
        {
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            long count = Decode(reader);
            if (count is <= 0 or > MaxEntries)
            {
                throw WeightsFile.Bad(source, $"it declares {count} tensors, which no model of this library has; it is not a TorchSharp weights file.");
            }
            for (long i = 0; i < count; i++)
            {
                int nameLength = Read7BitLength(reader);
                if (nameLength is <= 0 or > MaxNameBytes)
                {
                    throw WeightsFile.Bad(source, $"entry {i} has a name of {nameLength} bytes; it is not a TorchSharp weights file.");
                }
                string name = Encoding.UTF8.GetString(reader.ReadBytes(nameLength));
                var type = (ScalarType)Decode(reader);
                if (type != ScalarType.Float32)
                {
                    throw WeightsFile.Bad(source, $"tensor '{name}' has element type {type}; this model stores float32.");
                }
                long rank = Decode(reader);
                if (rank is < 0 or > MaxRank)
                {
                    throw WeightsFile.Bad(source, $"tensor '{name}' declares rank {rank}; the file is damaged.");
                }
                var shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = Decode(reader);
                    elements *= shape[d];
                    if (shape[d] < 0 || elements > int.MaxValue / sizeof(float))
                    {
                        throw WeightsFile.Bad(source, $"tensor '{name}' declares an impossible shape; the file is damaged.");
                    }
                }
                long bytes = elements * sizeof(float);
                if (stream.CanSeek && bytes > stream.Length - stream.Position)
                {
                    throw WeightsFile.Bad(source, $"tensor '{name}' needs {bytes} bytes but only {stream.Length - stream.Position} remain; the file is truncated.");
                }
                var values = new float[elements];
                stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                var tensor = torch.tensor(values, shape);
                if (!result.TryAdd(name, tensor))
                {
                    tensor.Dispose();
                    throw WeightsFile.Bad(source, $"tensor '{name}' appears twice; the file is damaged.");
                }
            }
            if (stream.CanSeek && stream.Position != stream.Length)
            {
                throw WeightsFile.Bad(source, $"{stream.Length - stream.Position} unexpected bytes follow the last tensor; the file is damaged or not a weights file.");
            }
            return result;
        }
        catch (Exception ex) when (ex is EndOfStreamException or DecoderFallbackException or OverflowException)
        {
            WeightsFile.DisposeAll(result);
            throw WeightsFile.Bad(source, "it ends early or is not in TorchSharp's format; it is truncated or not a weights file.", ex);
        }
        catch
        {
            WeightsFile.DisposeAll(result);
            throw;
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
