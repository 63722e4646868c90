using System.Buffers.Binary;

namespace TensorGraph.Fuzz;

/// <summary>
/// One fuzz case: the bytes of every file a reader needs (one part for single-file readers; for
/// example index + data shard for a checkpoint). Multi-part cases are stored on disk in a small
/// container: the ASCII magic <c>TGFZ</c>, a version byte (1), a part count byte, then per part a
/// little-endian uint32 length and the bytes. Single-part cases are stored as the plain file.
/// </summary>
internal sealed class FuzzInput
{
    private static readonly byte[] Magic = "TGFZ"u8.ToArray();

    public FuzzInput(params byte[][] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0) throw new ArgumentException("A fuzz input needs at least one part", nameof(parts));
        Parts = parts;
    }

    public byte[][] Parts { get; }

    public int TotalLength => Parts.Sum(p => p.Length);

    public FuzzInput With(int part, byte[] bytes)
    {
        var parts = (byte[][])Parts.Clone();
        parts[part] = bytes;
        return new FuzzInput(parts);
    }

    public byte[] ToFileBytes()
    {
        if (Parts.Length == 1) return Parts[0];
        var ms = new MemoryStream();
        ms.Write(Magic);
        ms.WriteByte(1);
        ms.WriteByte((byte)Parts.Length);
        Span<byte> len = stackalloc byte[4];
        foreach (var p in Parts)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)p.Length);
            ms.Write(len);
            ms.Write(p);
        }
        return ms.ToArray();
    }

    /// <summary>Reads a stored case for a reader taking <paramref name="parts"/> files.</summary>
    public static FuzzInput FromFileBytes(byte[] data, int parts)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (parts == 1) return new FuzzInput(data);
        if (data.Length < 6 || !data.AsSpan(0, 4).SequenceEqual(Magic) || data[4] != 1 || data[5] != parts)
            throw new InvalidDataException($"Not a {parts}-part fuzz case container");
        var result = new byte[parts][];
        int pos = 6;
        for (int i = 0; i < parts; i++)
        {
            if (pos + 4 > data.Length) throw new InvalidDataException("Truncated fuzz case container");
            int n = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos)));
            pos += 4;
            if (n > data.Length - pos) throw new InvalidDataException("Truncated fuzz case container");
            result[i] = data.AsSpan(pos, n).ToArray();
            pos += n;
        }
        return new FuzzInput(result);
    }
}
