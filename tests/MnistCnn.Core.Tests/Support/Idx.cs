namespace MnistCnn.Core.Tests;

/// <summary>Writes IDX files byte by byte, so tests can build valid and broken ones.</summary>
internal static class Idx
{
    public static byte[] Build(byte type, int[] dims, byte[] data)
    {
        using var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        foreach (int d in dims)
        {
            ms.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        }
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] Images(int count, int seed = 1)
    {
        var pixels = new byte[count * 28 * 28];
        new Random(seed).NextBytes(pixels);
        return Build(0x08, [count, 28, 28], pixels);
    }

    public static byte[] Labels(int count, int seed = 1)
    {
        var rnd = new Random(seed);
        return Build(0x08, [count], Enumerable.Range(0, count).Select(_ => (byte)rnd.Next(10)).ToArray());
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }
        return ms.ToArray();
    }
}
