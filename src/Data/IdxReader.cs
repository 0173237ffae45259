using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistCnn.Core.Data;

/// <summary>
/// Chooses where the data of an IDX file goes once its header has been validated: returns exactly
/// <paramref name="bytes"/> bytes of memory, or throws to reject the type or shape before any data is read.
/// </summary>
internal delegate Span<byte> IdxDestination(IdxElementType type, int[] dimensions, int bytes);

/// <summary>
/// Reads IDX files (LeCun's MNIST format), raw or gzip-compressed (detected by magic bytes).
/// Everything the header declares is validated before the data buffer is allocated.
/// </summary>
internal static class IdxReader
{
    public const int MaxRank = 8;

    /// <summary>Largest data section accepted: one managed array.</summary>
    public const long MaxDataBytes = 1L << 30;

    private const int ChunkBytes = 1 << 20;

    /// <summary>Reads an IDX file into a new array.</summary>
    public static IdxArray Read(string path) => IntoNewArray(destination => Read(path, destination));

    /// <summary>Reads an IDX file into the memory <paramref name="destination"/> provides, so large files are read once, straight to where they are used.</summary>
    public static (IdxElementType Type, int[] Dimensions) Read(string path, IdxDestination destination)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw InvalidFile.Create(path, "file not found. Download MNIST with MnistDataset.DownloadAsync or copy the four idx files there.", ex);
        }

        using (file)
        {
            Span<byte> gzipMagic = stackalloc byte[2];
            int got = file.ReadAtLeast(gzipMagic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            bool gzip = got == 2 && gzipMagic[0] == 0x1f && gzipMagic[1] == 0x8b;
            if (!gzip)
            {
                return Read(file, path, file.Length, destination);
            }

            using var inflated = new GZipStream(file, CompressionMode.Decompress);
            try
            {
                return Read(inflated, path, knownLength: null, destination);
            }
            catch (Exception ex) when ((ex is InvalidDataException && !ex.Data.Contains(InvalidFile.FilePathKey)) || ex is IOException)
            {
                throw InvalidFile.Create(path, $"the gzip stream is corrupt ({ex.Message}). Delete the file and download it again.", ex);
            }
        }
    }

    /// <summary>Reads one IDX array from <paramref name="stream"/>; <paramref name="knownLength"/> is the stream's length when it is known (raw files).</summary>
    public static IdxArray Read(Stream stream, string path, long? knownLength) =>
        IntoNewArray(destination => Read(stream, path, knownLength, destination));

    private static IdxArray IntoNewArray(Func<IdxDestination, (IdxElementType Type, int[] Dimensions)> read)
    {
        byte[]? data = null;
        var (type, dims) = read((_, _, bytes) => data = GC.AllocateUninitializedArray<byte>(bytes));
        return new IdxArray(type, dims, data!);
    }

    private static (IdxElementType Type, int[] Dimensions) Read(Stream stream, string path, long? knownLength, IdxDestination destination)
    {
        Span<byte> magic = stackalloc byte[4];
        if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4)
        {
            throw InvalidFile.Create(path, "the file is shorter than the 4-byte IDX magic number; it is empty or truncated.");
        }
        if (magic[0] != 0 || magic[1] != 0)
        {
            throw InvalidFile.Create(path, $"not an IDX file: the magic number starts 0x{magic[0]:X2} 0x{magic[1]:X2} instead of 0x00 0x00.");
        }
        var type = (IdxElementType)magic[2];
        int elementSize = ElementSize(type);
        if (elementSize == 0)
        {
            throw InvalidFile.Create(path, $"unknown IDX element type code 0x{magic[2]:X2}; expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E.");
        }
        int rank = magic[3];
        if (rank is < 1 or > MaxRank)
        {
            throw InvalidFile.Create(path, $"the IDX rank is {rank}; it must be between 1 and {MaxRank}.");
        }

        Span<byte> header = stackalloc byte[4 * MaxRank];
        header = header[..(4 * rank)];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
        {
            throw InvalidFile.Create(path, $"the file ends inside its header, which declares {rank} dimensions; it is truncated.");
        }

        var dims = new int[rank];
        long bytes = elementSize;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(header[(4 * i)..]);
            if (d <= 0)
            {
                throw InvalidFile.Create(path, $"dimension {i} is {d}; every dimension must be positive.");
            }
            dims[i] = d;
            bytes *= d;
            if (bytes > MaxDataBytes)
            {
                throw InvalidFile.Create(path, $"the header declares more than {MaxDataBytes} bytes of data ({string.Join(" x ", dims[..(i + 1)])} elements so far); the header is corrupt.");
            }
        }

        long headerLength = 4 + (4L * rank);
        if (knownLength is long length && length - headerLength != bytes)
        {
            throw InvalidFile.Create(path, length - headerLength < bytes
                ? $"the header declares {bytes} bytes of data ({string.Join(" x ", dims)}) but only {length - headerLength} follow; the file is truncated. Download it again."
                : $"the header declares {bytes} bytes of data ({string.Join(" x ", dims)}) but {length - headerLength} follow; the file has trailing bytes or a wrong header.");
        }

        if (knownLength is null)
        {
            // The length is unknown: read what really arrives first, so a lying header cannot size the destination.
            byte[] inflated = ReadGrowing(stream, path, (int)bytes);
            inflated.CopyTo(destination(type, dims, (int)bytes));
        }
        else
        {
            ReadExact(stream, path, destination(type, dims, (int)bytes));
        }
        return (type, dims);
    }

    private static void ReadExact(Stream stream, string path, Span<byte> data)
    {
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
        {
            throw InvalidFile.Create(path, $"the data ends after {read} of {data.Length} declared bytes; the file is truncated.");
        }
    }

    /// <summary>
    /// Reads a stream of unknown length (gzip): the buffer grows only as real data arrives, so a header that lies
    /// about the size cannot make us allocate more than about twice what the stream really holds.
    /// </summary>
    private static byte[] ReadGrowing(Stream stream, string path, int bytes)
    {
        var data = GC.AllocateUninitializedArray<byte>(Math.Min(bytes, ChunkBytes));
        int filled = 0;
        while (true)
        {
            if (filled == data.Length)
            {
                if (filled == bytes)
                {
                    break;
                }
                Array.Resize(ref data, (int)Math.Min(bytes, (long)data.Length * 2));
            }
            int n = stream.Read(data, filled, data.Length - filled);
            if (n == 0)
            {
                throw InvalidFile.Create(path, $"the data ends after {filled} of {bytes} declared bytes; the file is truncated.");
            }
            filled += n;
        }

        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
        {
            throw InvalidFile.Create(path, $"more data follows the {bytes} bytes the header declares; the file has trailing bytes or a wrong header.");
        }
        return data;
    }

    public static int ElementSize(IdxElementType type) => type switch
    {
        IdxElementType.UnsignedByte or IdxElementType.SignedByte => 1,
        IdxElementType.Int16 => 2,
        IdxElementType.Int32 or IdxElementType.Float32 => 4,
        IdxElementType.Float64 => 8,
        _ => 0,
    };
}
