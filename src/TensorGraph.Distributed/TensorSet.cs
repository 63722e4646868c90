using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Distributed;

/// <summary>
/// The wire form of named tensors: a count, then per tensor its name and its <c>TensorProto</c>
/// (dtype, shape and raw content), so values cross the wire bit for bit.
/// </summary>
public static class TensorSet
{
    /// <summary>Encodes named tensors in order, into one array of exactly the encoded size.</summary>
    public static byte[] Encode(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.Select(kv => (Name: kv.Key, Proto: TensorProtos.ToProto(kv.Value))).ToArray();
        long total = 4;
        var sizes = new int[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            int nameBytes = System.Text.Encoding.UTF8.GetByteCount(list[i].Name);
            sizes[i] = list[i].Proto.CalculateSize();
            total += SevenBitLength(nameBytes) + nameBytes + 4 + sizes[i];
        }
        if (total > Array.MaxLength) throw new InvalidOperationException($"a tensor set of {total} bytes is too large to encode");
        var buffer = new byte[total];
        using (var ms = new MemoryStream(buffer, writable: true))
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(list.Length);
            for (int i = 0; i < list.Length; i++)
            {
                w.Write(list[i].Name);
                w.Write(sizes[i]);
                w.Flush();
                list[i].Proto.WriteTo(ms);
            }
            w.Flush();
            if (ms.Position != total) throw new InvalidOperationException($"encoded {ms.Position} bytes, expected {total}");
        }
        return buffer;
    }

    private static int SevenBitLength(int n)
    {
        int len = 1;
        while ((n >>= 7) != 0) len++;
        return len;
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote; malformed input is an <see cref="InvalidDataException"/>.</summary>
    public static List<KeyValuePair<string, Tensor>> Decode(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            using var ms = new MemoryStream(data, writable: false);
            using var r = new BinaryReader(ms);
            int n = r.ReadInt32();
            if (n < 0) throw new InvalidDataException($"negative tensor count {n}");
            var result = new List<KeyValuePair<string, Tensor>>(Math.Min(n, 1 << 16));
            for (int i = 0; i < n; i++)
            {
                var name = r.ReadString();
                int len = r.ReadInt32();
                if (len < 0 || len > data.Length - ms.Position) throw new InvalidDataException($"tensor '{name}' claims {len} bytes, {data.Length - ms.Position} remain");
                var proto = TensorProto.Parser.ParseFrom(data, (int)ms.Position, len);
                ms.Position += len;
                result.Add(new(name, TensorProtos.FromProto(proto)));
            }
            return result;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("truncated tensor set", e);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException("malformed tensor in tensor set", e);
        }
    }

    /// <summary>Splits <paramref name="data"/> into pieces of at most <paramref name="chunkBytes"/> bytes (at least one piece).</summary>
    public static byte[][] Split(byte[] data, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        int count = Math.Max(1, (int)((data.LongLength + chunkBytes - 1) / chunkBytes));
        var chunks = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            int off = i * chunkBytes;
            chunks[i] = data.AsSpan(off, Math.Min(chunkBytes, data.Length - off)).ToArray();
        }
        return chunks;
    }

    /// <summary>Joins the pieces of <see cref="Split"/>.</summary>
    public static byte[] Join(IReadOnlyList<byte[]> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var data = new byte[chunks.Sum(c => (long)c.Length)];
        int off = 0;
        foreach (var c in chunks)
        {
            c.CopyTo(data, off);
            off += c.Length;
        }
        return data;
    }
}
