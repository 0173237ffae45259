namespace MnistCnn.Core.Data;

/// <summary>An IDX array: its element type, dimensions and raw data (big-endian, as in the file).</summary>
internal sealed record IdxArray(IdxElementType ElementType, int[] Dimensions, byte[] Data);
