using System.Buffers.Binary;

namespace TensorGraph.Serialization;

/// <summary>
/// Decoder for the raw Snappy block format (no framing): a varint uncompressed length followed by
/// literal and copy elements. Malformed input raises <see cref="DataLossException"/>.
/// </summary>
public static class Snappy
{
    /// <summary>Upper bound accepted for the declared uncompressed length.</summary>
    public const int MaxUncompressedLength = int.MaxValue / 2;

    /// <summary>The uncompressed length declared in the header of <paramref name="compressed"/>.</summary>
    public static int GetUncompressedLength(ReadOnlySpan<byte> compressed)
    {
        int pos = 0;
        if (!Varint.TryRead32(compressed, ref pos, out var len))
            throw new DataLossException("Corrupt snappy block: bad uncompressed-length header");
        if (len > MaxUncompressedLength)
            throw new DataLossException($"Corrupt snappy block: uncompressed length {len} is too large");
        return (int)len;
    }

    /// <summary>Decompresses a raw Snappy block.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> compressed)
    {
        int pos = 0;
        if (!Varint.TryRead32(compressed, ref pos, out var declared))
            throw new DataLossException("Corrupt snappy block: bad uncompressed-length header");
        if (declared > MaxUncompressedLength)
            throw new DataLossException($"Corrupt snappy block: uncompressed length {declared} is too large");
        // Every element of n bytes of input yields at most 64 bytes of output per 2 bytes; a declared
        // length far above what the input could produce is corrupt (this bounds the allocation).
        if ((long)declared > (long)(compressed.Length - pos) * 32 + 64)
            throw new DataLossException($"Corrupt snappy block: uncompressed length {declared} is impossible for {compressed.Length} input bytes");
        var dst = new byte[declared];
        int op = 0;
        while (pos < compressed.Length)
        {
            byte tag = compressed[pos++];
            int kind = tag & 3;
            if (kind == 0)
            {
                int len = (tag >> 2) + 1;
                if (len > 60)
                {
                    int extra = len - 60;
                    if (pos + extra > compressed.Length) throw Corrupt("literal length is truncated");
                    uint l = 0;
                    for (int i = 0; i < extra; i++) l |= (uint)compressed[pos + i] << (8 * i);
                    pos += extra;
                    if (l >= int.MaxValue) throw Corrupt("literal length overflows");
                    len = (int)l + 1;
                }
                if (len > compressed.Length - pos) throw Corrupt("literal runs past the end of the input");
                if (len > dst.Length - op) throw Corrupt("literal runs past the declared length");
                compressed.Slice(pos, len).CopyTo(dst.AsSpan(op));
                pos += len;
                op += len;
                continue;
            }
            int length, offset;
            switch (kind)
            {
                case 1:
                    if (pos + 1 > compressed.Length) throw Corrupt("copy element is truncated");
                    length = ((tag >> 2) & 7) + 4;
                    offset = ((tag >> 5) << 8) | compressed[pos];
                    pos += 1;
                    break;
                case 2:
                    if (pos + 2 > compressed.Length) throw Corrupt("copy element is truncated");
                    length = (tag >> 2) + 1;
                    offset = BinaryPrimitives.ReadUInt16LittleEndian(compressed[pos..]);
                    pos += 2;
                    break;
                default:
                    if (pos + 4 > compressed.Length) throw Corrupt("copy element is truncated");
                    length = (tag >> 2) + 1;
                    uint o = BinaryPrimitives.ReadUInt32LittleEndian(compressed[pos..]);
                    if (o > int.MaxValue) throw Corrupt("copy offset overflows");
                    offset = (int)o;
                    pos += 4;
                    break;
            }
            if (offset == 0 || offset > op) throw Corrupt($"copy offset {offset} is outside the output so far ({op} bytes)");
            if (length > dst.Length - op) throw Corrupt("copy runs past the declared length");
            int src = op - offset;
            if (offset >= length) dst.AsSpan(src, length).CopyTo(dst.AsSpan(op));
            else for (int i = 0; i < length; i++) dst[op + i] = dst[src + i];
            op += length;
        }
        if (op != dst.Length) throw Corrupt($"decoded {op} bytes but the header declared {dst.Length}");
        return dst;
    }

    private static DataLossException Corrupt(string what) => new($"Corrupt snappy block: {what}");
}
