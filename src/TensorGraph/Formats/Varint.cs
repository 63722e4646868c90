namespace TensorGraph.Serialization;

/// <summary>Protocol-buffer style base-128 varints, as used by LevelDB tables and checkpoint string tensors.</summary>
public static class Varint
{
    /// <summary>Appends <paramref name="value"/> as a varint.</summary>
    public static void Write(Stream s, ulong value)
    {
        ArgumentNullException.ThrowIfNull(s);
        Span<byte> buf = stackalloc byte[10];
        s.Write(buf[..Encode(buf, value)]);
    }

    /// <summary>Appends <paramref name="value"/> as a varint.</summary>
    public static void Write(List<byte> s, ulong value)
    {
        ArgumentNullException.ThrowIfNull(s);
        Span<byte> buf = stackalloc byte[10];
        int n = Encode(buf, value);
        for (int i = 0; i < n; i++) s.Add(buf[i]);
    }

    /// <summary>Encodes into <paramref name="dst"/> (at least 10 bytes); returns the byte count.</summary>
    public static int Encode(Span<byte> dst, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            dst[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dst[n++] = (byte)value;
        return n;
    }

    /// <summary>Decodes a varint of at most 64 bits at <paramref name="pos"/>, advancing it; false when truncated or overlong.</summary>
    public static bool TryRead64(ReadOnlySpan<byte> src, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0, p = pos; shift <= 63 && p < src.Length; shift += 7)
        {
            byte b = src[p++];
            if (shift == 63 && b > 1) return false;
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                pos = p;
                return true;
            }
        }
        value = 0;
        return false;
    }

    /// <summary>Decodes a varint of at most 32 bits at <paramref name="pos"/>, advancing it; false when truncated or overlong.</summary>
    public static bool TryRead32(ReadOnlySpan<byte> src, ref int pos, out uint value)
    {
        int p = pos;
        if (!TryRead64(src, ref p, out var v) || v > uint.MaxValue || p - pos > 5)
        {
            value = 0;
            return false;
        }
        pos = p;
        value = (uint)v;
        return true;
    }
}
