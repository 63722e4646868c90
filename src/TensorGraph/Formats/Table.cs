using System.Buffers.Binary;

namespace TensorGraph.Serialization;

/// <summary>
/// Reader for TensorFlow's LevelDB-style immutable tables (the checkpoint <c>.index</c> file):
/// footer, index block, data blocks with prefix-compressed keys and restart arrays, 5-byte block
/// trailers (compression type + masked CRC-32C). Uncompressed and Snappy blocks are supported.
/// Any inconsistency raises <see cref="DataLossException"/> naming the file.
/// </summary>
public static class TableReader
{
    internal const ulong Magic = 0xdb4775248b80fb57UL;
    internal const int FooterLength = 48;
    internal const int TrailerLength = 5;

    /// <summary>Reads every key/value entry of the table in <paramref name="path"/>, in key order.</summary>
    public static IReadOnlyList<KeyValuePair<byte[], byte[]>> ReadAll(string path)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new NotFoundException($"Table file '{path}' does not exist", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new NotFoundException($"Table file '{path}' does not exist", e);
        }
        return ReadAll(file, path);
    }

    /// <summary>Reads every entry of a table held in memory; <paramref name="name"/> is used in error messages.</summary>
    public static IReadOnlyList<KeyValuePair<byte[], byte[]>> ReadAll(byte[] file, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Length < FooterLength)
            throw new DataLossException($"'{name}' is not an sstable: {file.Length} bytes is shorter than a footer");
        var footer = file.AsSpan(file.Length - FooterLength);
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(footer[40..]);
        if (magic != Magic) throw new DataLossException($"'{name}' is not an sstable (bad magic number)");
        int pos = 0;
        var (_, _) = ReadHandle(footer, ref pos, name); // metaindex: always empty, never read
        var (indexOff, indexSize) = ReadHandle(footer, ref pos, name);
        long limit = file.Length - FooterLength;
        var index = ReadBlock(file, indexOff, indexSize, limit, name);
        var result = new List<KeyValuePair<byte[], byte[]>>();
        byte[]? prevKey = null;
        foreach (var (_, handle) in ParseBlock(index, name, indexOff))
        {
            int hp = 0;
            var (off, size) = ReadHandle(handle, ref hp, name);
            var block = ReadBlock(file, off, size, limit, name);
            foreach (var kv in ParseBlock(block, name, off))
            {
                if (prevKey is not null && kv.Key.AsSpan().SequenceCompareTo(prevKey) <= 0)
                    throw new DataLossException($"Corrupt table '{name}': keys are not in increasing order in the block at offset {off}");
                prevKey = kv.Key;
                result.Add(kv);
            }
        }
        return result;
    }

    private static (long Offset, long Size) ReadHandle(ReadOnlySpan<byte> src, ref int pos, string name)
    {
        if (!Varint.TryRead64(src, ref pos, out var off) || !Varint.TryRead64(src, ref pos, out var size) || off > long.MaxValue || size > long.MaxValue)
            throw new DataLossException($"Corrupt table '{name}': bad block handle");
        return ((long)off, (long)size);
    }

    private static byte[] ReadBlock(byte[] file, long offset, long size, long limit, string name)
    {
        if (offset < 0 || size < 0 || offset > limit || size > limit - offset - TrailerLength)
            throw new DataLossException($"Corrupt table '{name}': block handle (offset {offset}, size {size}) is outside the file");
        int o = (int)offset, n = (int)size;
        var contents = file.AsSpan(o, n);
        byte type = file[o + n];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(o + n + 1));
        uint actual = Crc32C.Extend(Crc32C.Compute(contents), file.AsSpan(o + n, 1));
        if (Crc32C.Unmask(stored) != actual)
            throw new DataLossException($"Corrupt table '{name}': block checksum mismatch at offset {offset}");
        return type switch
        {
            0 => contents.ToArray(),
            1 => DecompressSnappy(contents, name, offset),
            _ => throw new DataLossException($"Corrupt table '{name}': unknown block compression type {type} at offset {offset}"),
        };
    }

    private static byte[] DecompressSnappy(ReadOnlySpan<byte> contents, string name, long offset)
    {
        try
        {
            return Snappy.Decompress(contents);
        }
        catch (DataLossException e)
        {
            throw new DataLossException($"Corrupt table '{name}': block at offset {offset}: {e.Message}", e);
        }
    }

    /// <summary>Decodes the entries of one block (prefix-compressed keys; restart array at the end).</summary>
    internal static List<KeyValuePair<byte[], byte[]>> ParseBlock(byte[] block, string name, long at)
    {
        if (block.Length < 4) throw new DataLossException($"Corrupt table '{name}': block at offset {at} is too short");
        uint numRestarts = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(block.Length - 4));
        if (numRestarts > (uint)(block.Length - 4) / 4)
            throw new DataLossException($"Corrupt table '{name}': block at offset {at} has a bad restart count {numRestarts}");
        int end = block.Length - (1 + (int)numRestarts) * 4;
        var entries = new List<KeyValuePair<byte[], byte[]>>();
        byte[] prev = [];
        int p = 0;
        var span = block.AsSpan(0, end);
        while (p < end)
        {
            if (!Varint.TryRead32(span, ref p, out var shared) || !Varint.TryRead32(span, ref p, out var unshared) || !Varint.TryRead32(span, ref p, out var vlen))
                throw new DataLossException($"Corrupt table '{name}': bad entry header in block at offset {at}");
            if (shared > prev.Length || unshared > (uint)(end - p) || vlen > (uint)(end - p) - unshared)
                throw new DataLossException($"Corrupt table '{name}': entry overruns the block at offset {at}");
            var key = new byte[shared + unshared];
            prev.AsSpan(0, (int)shared).CopyTo(key);
            span.Slice(p, (int)unshared).CopyTo(key.AsSpan((int)shared));
            p += (int)unshared;
            var value = span.Slice(p, (int)vlen).ToArray();
            p += (int)vlen;
            entries.Add(new(key, value));
            prev = key;
        }
        return entries;
    }
}

/// <summary>
/// Writes a LevelDB-style table the way TensorFlow's checkpoint writer does: uncompressed blocks,
/// restart interval 16 for data blocks and 1 for the index block, an empty metaindex block and
/// the 48-byte footer. Keys must be added in strictly increasing bytewise order.
/// </summary>
public sealed class TableWriter
{
    private const int BlockSize = 262144;
    private readonly Stream _out;
    private readonly BlockBuilder _data = new(16);
    private readonly BlockBuilder _index = new(1);
    private byte[]? _lastKey;
    private long _offset;

    /// <summary>Writes the table to <paramref name="output"/> (not closed by the writer).</summary>
    public TableWriter(Stream output) => _out = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Adds an entry; keys must be strictly increasing (bytewise).</summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_lastKey is not null && key.SequenceCompareTo(_lastKey) <= 0)
            throw new InvalidArgumentException("Table keys must be added in strictly increasing order");
        _lastKey = key.ToArray();
        _data.Add(key, value);
        if (_data.EstimatedSize >= BlockSize) FlushData();
    }

    private void FlushData()
    {
        if (_data.Count == 0) return;
        var (off, size) = WriteBlock(_data.Finish());
        _data.Reset();
        var handle = new List<byte>();
        Varint.Write(handle, (ulong)off);
        Varint.Write(handle, (ulong)size);
        _index.Add(_lastKey, handle.ToArray());
    }

    private (long, long) WriteBlock(byte[] contents)
    {
        long off = _offset;
        _out.Write(contents);
        Span<byte> trailer = stackalloc byte[5];
        trailer[0] = 0;
        uint crc = Crc32C.Extend(Crc32C.Compute(contents), trailer[..1]);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], Crc32C.Mask(crc));
        _out.Write(trailer);
        _offset += contents.Length + 5;
        return (off, contents.Length);
    }

    /// <summary>Writes the remaining data block, the metaindex and index blocks and the footer.</summary>
    public void Finish()
    {
        FlushData();
        var (metaOff, metaSize) = WriteBlock(new BlockBuilder(16).Finish());
        var (indexOff, indexSize) = WriteBlock(_index.Finish());
        var footer = new byte[TableReader.FooterLength];
        int n = Varint.Encode(footer, (ulong)metaOff);
        n += Varint.Encode(footer.AsSpan(n), (ulong)metaSize);
        n += Varint.Encode(footer.AsSpan(n), (ulong)indexOff);
        Varint.Encode(footer.AsSpan(n), (ulong)indexSize);
        BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(40), TableReader.Magic);
        _out.Write(footer);
        _offset += footer.Length;
    }

    private sealed class BlockBuilder(int restartInterval)
    {
        private readonly List<byte> _buf = [];
        private readonly List<int> _restarts = [0];
        private byte[] _last = [];
        private int _sinceRestart;

        public int Count { get; private set; }

        public int EstimatedSize => _buf.Count + _restarts.Count * 4 + 4;

        public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            int shared = 0;
            if (_sinceRestart < restartInterval)
            {
                int max = Math.Min(_last.Length, key.Length);
                while (shared < max && _last[shared] == key[shared]) shared++;
            }
            else
            {
                _restarts.Add(_buf.Count);
                _sinceRestart = 0;
            }
            Varint.Write(_buf, (ulong)shared);
            Varint.Write(_buf, (ulong)(key.Length - shared));
            Varint.Write(_buf, (ulong)value.Length);
            foreach (var b in key[shared..]) _buf.Add(b);
            foreach (var b in value) _buf.Add(b);
            _last = key.ToArray();
            _sinceRestart++;
            Count++;
        }

        public byte[] Finish()
        {
            var r = new byte[_buf.Count + _restarts.Count * 4 + 4];
            _buf.CopyTo(r);
            int p = _buf.Count;
            foreach (var x in _restarts)
            {
                BinaryPrimitives.WriteInt32LittleEndian(r.AsSpan(p), x);
                p += 4;
            }
            BinaryPrimitives.WriteInt32LittleEndian(r.AsSpan(p), _restarts.Count);
            return r;
        }

        public void Reset()
        {
            _buf.Clear();
            _restarts.Clear();
            _restarts.Add(0);
            _last = [];
            _sinceRestart = 0;
            Count = 0;
        }
    }
}
