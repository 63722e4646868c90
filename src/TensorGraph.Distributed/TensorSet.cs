using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Distributed;

/// <summary>
/// The wire form of named tensors: a count, then per tensor its name and its <c>TensorProto</c>
/// (dtype, shape and raw content), so values cross the wire bit for bit.
/// </summary>
public static class TensorSet
{
    /// <summary>Encodes named tensors in order.</summary>
    public static byte[] Encode(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            var list = tensors.ToArray();
            w.Write(list.Length);
            foreach (var (name, t) in list)
            {
                w.Write(name);
                var bytes = TensorProtos.ToProto(t).ToByteArray();
                w.Write(bytes.Length);
                w.Write(bytes);
            }
        }
        return ms.ToArray();
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote; malformed input is an <see cref="InvalidDataException"/>.</summary>
    public static List<KeyValuePair<string, Tensor>> Decode(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            using var r = new BinaryReader(new MemoryStream(data, writable: false));
            int n = r.ReadInt32();
            if (n < 0) throw new InvalidDataException($"negative tensor count {n}");
            var result = new List<KeyValuePair<string, Tensor>>(Math.Min(n, 1 << 16));
            for (int i = 0; i < n; i++)
            {
                var name = r.ReadString();
                int len = r.ReadInt32();
                if (len < 0 || len > data.Length) throw new InvalidDataException($"tensor '{name}' claims {len} bytes");
                var proto = TensorProto.Parser.ParseFrom(r.ReadBytes(len));
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
