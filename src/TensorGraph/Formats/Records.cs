using System.Buffers.Binary;
using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

/// <summary>Writes TFRecord framing: uint64 length, masked CRC of the length, data, masked CRC of the data.</summary>
public sealed class RecordWriter(Stream output)
{
    private readonly Stream _out = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Appends one record.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[8..], Crc32C.Masked(head[..8]));
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, Crc32C.Masked(data));
        _out.Write(head);
        _out.Write(data);
        _out.Write(tail);
    }
}

/// <summary>
/// Reads TFRecord files, verifying both CRCs of every record. Corrupt or truncated data raises
/// <see cref="DataLossException"/> naming the file and byte offset.
/// </summary>
public static class RecordReader
{
    /// <summary>Upper bound on one record's length (guards allocation on corrupt lengths).</summary>
    public const long MaxRecordLength = 1L << 30;

    /// <summary>The records of <paramref name="path"/>, in order.</summary>
    public static IEnumerable<byte[]> ReadRecords(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new NotFoundException($"Record file '{path}' does not exist");
        return Iterate(path).Select(r => r.Data);
    }

    /// <summary>The records of <paramref name="path"/> with the byte offset each starts at (TF's TFRecordReader keys are <c>file:offset</c>).</summary>
    public static IEnumerable<(long Offset, byte[] Data)> ReadRecordsWithOffsets(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new NotFoundException($"Record file '{path}' does not exist");
        return Iterate(path);
    }

    /// <summary>
    /// The records of <paramref name="stream"/> (read from its current position to its end), for
    /// compressed files read through a decompressing stream; <paramref name="name"/> is the file in
    /// messages. The caller owns the stream.
    /// </summary>
    public static IEnumerable<byte[]> ReadRecords(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return Iterate(stream, name).Select(r => r.Data);
    }

    private static IEnumerable<(long Offset, byte[] Data)> Iterate(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        foreach (var r in Iterate(fs, path)) yield return r;
    }

    private static IEnumerable<(long Offset, byte[] Data)> Iterate(Stream fs, string path)
    {
        var head = new byte[12];
        var tail = new byte[4];
        long offset = 0;
        while (true)
        {
            int got = fs.ReadAtLeast(head, 12, throwOnEndOfStream: false);
            if (got == 0) yield break;
            if (got < 12) throw new DataLossException($"Truncated record header in '{path}' at offset {offset}");
            if (Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(8))) != Crc32C.Compute(head.AsSpan(0, 8)))
                throw new DataLossException($"Corrupted record length (CRC mismatch) in '{path}' at offset {offset}");
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (len > MaxRecordLength || (fs.CanSeek && (long)len > fs.Length - fs.Position))
                throw new DataLossException($"Truncated record in '{path}' at offset {offset}: length {len} runs past the end of the file");
            var data = new byte[len];
            if (fs.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
                throw new DataLossException($"Truncated record in '{path}' at offset {offset}: length {len} runs past the end of the file");
            if (fs.ReadAtLeast(tail, 4, throwOnEndOfStream: false) < 4)
                throw new DataLossException($"Truncated record in '{path}' at offset {offset}: missing data CRC");
            if (Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(tail)) != Crc32C.Compute(data))
                throw new DataLossException($"Corrupted record data (CRC mismatch) in '{path}' at offset {offset}");
            long start = offset;
            offset += 12 + data.Length + 4;
            yield return (start, data);
        }
    }
}

/// <summary>Reads TensorFlow event files (<c>events.out.tfevents.*</c>) as <see cref="Event"/> messages.</summary>
public static class EventFileReader
{
    /// <summary>The events of <paramref name="path"/>, CRC-verified, in order.</summary>
    public static IEnumerable<Event> ReadEvents(string path)
    {
        long index = 0;
        foreach (var r in RecordReader.ReadRecords(path))
        {
            Event e;
            try
            {
                e = Event.Parser.ParseFrom(r);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new DataLossException($"Record {index} of '{path}' is not a valid Event: {ex.Message}", ex);
            }
            index++;
            yield return e;
        }
    }
}
