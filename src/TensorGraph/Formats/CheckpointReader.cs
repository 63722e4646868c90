using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

/// <summary>
/// Reads a TensorFlow V2 checkpoint (tensor bundle): <c>prefix.index</c> plus
/// <c>prefix.data-*</c>. Lists the stored tensors and reads them with checksum verification.
/// Corrupt files raise <see cref="DataLossException"/>; missing keys <see cref="NotFoundException"/>.
/// </summary>
public sealed class CheckpointReader : IDisposable
{
    private readonly Dictionary<string, BundleEntryProto> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private FileStream?[] _shards = [];

    /// <summary>Checkpoints with at most this many shards have their data files opened with the index.</summary>
    private const int EagerShards = 64;

    /// <summary>
    /// Opens the checkpoint with prefix <paramref name="prefix"/> (e.g. <c>/tmp/model.ckpt-1000</c>).
    /// The data files are opened right after the index, and the index is read again: when a
    /// writer saving the same prefix replaced it in between, the data files opened may belong to
    /// another checkpoint, so the new index is read instead. The reader thus holds one complete
    /// checkpoint (writers never change a data file in place, and open files outlive their deletion).
    /// </summary>
    public CheckpointReader(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
        for (int attempt = 0; ; attempt++)
        {
            var (header, index) = Load(prefix);
            Header = header;
            if (_shards.Length > EagerShards) break;
            OpenShards();
            if (attempt == 8 || IndexIs(index)) break;
            CloseShards();
        }
    }

    /// <summary>True when <c>prefix.index</c> still holds <paramref name="index"/> (or can no longer be read).</summary>
    private bool IndexIs(byte[] index)
    {
        try
        {
            return File.ReadAllBytes(CheckpointFiles.IndexFile(Prefix)).AsSpan().SequenceEqual(index);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>Opens every data file that exists (up to <see cref="EagerShards"/> shards).</summary>
    private void OpenShards()
    {
        for (int i = 0; i < _shards.Length; i++)
        {
            try
            {
                _shards[i] = new FileStream(CheckpointFiles.DataFile(Prefix, i, _shards.Length), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A missing or unreadable data file is reported when a tensor in it is read, as for shards opened lazily.
            }
        }
    }

    private (BundleHeaderProto Header, byte[] Index) Load(string prefix)
    {
        _entries.Clear();
        _names.Clear();
        var indexPath = CheckpointFiles.IndexFile(prefix);
        if (!File.Exists(indexPath))
            throw new NotFoundException($"Unsuccessful TensorSliceReader constructor: failed to find any matching files for {prefix} ('{indexPath}' does not exist)",
                new FileNotFoundException($"Could not find file '{indexPath}'.", indexPath));
        byte[] index;
        try
        {
            index = File.ReadAllBytes(indexPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"Unsuccessful TensorSliceReader constructor: failed to find any matching files for {prefix} ('{indexPath}' does not exist)", e);
        }
        var entries = TableReader.ReadAll(index, indexPath);
        if (entries.Count == 0 || entries[0].Key.Length != 0)
            throw new DataLossException($"Checkpoint index '{indexPath}' has no header entry");
        var header = Parse(BundleHeaderProto.Parser, entries[0].Value, indexPath, "header");
        if (header.Version is { } v)
        {
            if (v.MinConsumer > 1 || v.BadConsumers.Contains(1))
                throw new InvalidArgumentException($"Checkpoint '{prefix}' needs a newer reader (min_consumer {v.MinConsumer})");
            if (v.Producer < 0) throw new DataLossException($"Checkpoint '{prefix}' has an invalid producer version {v.Producer}");
        }
        if (header.Endianness != BundleHeaderProto.Types.Endianness.Little)
            throw new UnimplementedException($"Checkpoint '{prefix}' is big-endian; only little-endian bundles are supported");
        if (header.NumShards < 1 || header.NumShards > 100000)
            throw new DataLossException($"Checkpoint index '{indexPath}' declares {header.NumShards} shards");
        for (int i = 1; i < entries.Count; i++)
        {
            var name = DecodeKey(entries[i].Key, indexPath);
            var e = Parse(BundleEntryProto.Parser, entries[i].Value, indexPath, name);
            _entries[name] = e;
            _names.Add(name);
        }
        _shards = new FileStream?[header.NumShards];
        return (header, index);
    }

    private static string DecodeKey(byte[] key, string file)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(key);
        }
        catch (DecoderFallbackException e)
        {
            throw new DataLossException($"Checkpoint index '{file}' has a key that is not UTF-8", e);
        }
    }

    private static T Parse<T>(MessageParser<T> parser, byte[] bytes, string file, string what) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DataLossException($"Checkpoint index '{file}': cannot parse the entry for '{what}': {e.Message}", e);
        }
    }

    /// <summary>The checkpoint prefix.</summary>
    public string Prefix { get; }

    /// <summary>The bundle header (shard count, endianness, version).</summary>
    public BundleHeaderProto Header { get; private set; } = new();

    /// <summary>Stored tensor names in key order.</summary>
    public IReadOnlyList<string> TensorNames => _names;

    /// <summary>Name, dtype and shape of every stored tensor.</summary>
    public IReadOnlyList<CheckpointTensorInfo> Tensors => _names.Select(GetInfo).ToArray();

    /// <summary>True when the checkpoint holds a tensor named <paramref name="name"/>.</summary>
    public bool HasTensor(string name) => _entries.ContainsKey(name);

    /// <summary>The raw index entry of a tensor.</summary>
    public BundleEntryProto GetEntry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new NotFoundException($"Key {name} not found in checkpoint {Prefix}");

    /// <summary>Name, dtype and shape of one tensor.</summary>
    public CheckpointTensorInfo GetInfo(string name)
    {
        var e = GetEntry(name);
        DType dt;
        try
        {
            dt = DTypes.FromProto(e.Dtype);
        }
        catch (UnimplementedException)
        {
            dt = DType.Invalid;
        }
        return new CheckpointTensorInfo(name, dt, EntryShape(e, name), e.Dtype);
    }

    private Shape EntryShape(BundleEntryProto e, string name)
    {
        var sp = e.Shape ?? new TensorShapeProto();
        if (sp.UnknownRank) throw new DataLossException($"Checkpoint '{Prefix}': tensor '{name}' has an unknown rank");
        var dims = new int[sp.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            long d = sp.Dim[i].Size;
            if (d < 0 || d > int.MaxValue) throw new DataLossException($"Checkpoint '{Prefix}': tensor '{name}' has an invalid dimension {d}");
            dims[i] = (int)d;
        }
        return Shape.Wrap(dims);
    }

    /// <summary>Reads the tensor named <paramref name="name"/>, verifying its checksum.</summary>
    public Tensor GetTensor(string name)
    {
        var e = GetEntry(name);
        var info = GetInfo(name);
        if (e.Slices.Count > 0)
            throw new UnimplementedException($"Checkpoint '{Prefix}': tensor '{name}' is partitioned into slices, which is not supported");
        if (info.DType == DType.Invalid)
            throw new UnimplementedException($"Checkpoint '{Prefix}': tensor '{name}' has dtype {e.Dtype}, which is not supported");
        var dims = info.Shape.ToArray();
        long n = 1;
        foreach (var d in dims)
        {
            n *= d;
            if (n > int.MaxValue) throw new DataLossException($"Checkpoint '{Prefix}': tensor '{name}' with shape {info.Shape} is too large");
        }
        if (e.ShardId < 0 || e.ShardId >= _shards.Length)
            throw new DataLossException($"Checkpoint '{Prefix}': tensor '{name}' is in shard {e.ShardId} of {_shards.Length}");
        if (e.Offset < 0 || e.Size < 0 || e.Size > int.MaxValue)
            throw new DataLossException($"Checkpoint '{Prefix}': tensor '{name}' has an invalid offset/size ({e.Offset}, {e.Size})");
        // A string tensor stores at least one length byte per element plus a 4-byte checksum, so
        // a corrupt shape cannot make us allocate more elements than the entry has bytes.
        if (info.DType == DType.String && n > Math.Max(0, e.Size - 4))
            throw new DataLossException($"Checkpoint '{Prefix}': string tensor '{name}' of shape {info.Shape} cannot fit in its {e.Size} bytes");
        if (info.DType != DType.String && e.Size != n * info.DType.Size())
            throw new DataLossException($"Checkpoint '{Prefix}': tensor '{name}' of shape {info.Shape} and dtype {info.DType.Name()} has {e.Size} bytes, expected {n * info.DType.Size()}");
        var bytes = ReadData(e, name);
        var t = Tensor.Zeros(info.DType, dims);
        if (info.DType == DType.String)
        {
            DecodeStrings(bytes, t.Span<byte[]>(), e, name);
            return t;
        }
        uint crc = Crc32C.Compute(bytes);
        if (Crc32C.Unmask(e.Crc32C) != crc)
            throw new DataLossException($"Checkpoint '{Prefix}': checksum does not match for tensor '{name}' (stored {Crc32C.Unmask(e.Crc32C):x8}, computed {crc:x8})");
        switch (info.DType)
        {
            case DType.Float32: MemoryMarshal.Cast<byte, float>(bytes).CopyTo(t.Span<float>()); break;
            case DType.Float64: MemoryMarshal.Cast<byte, double>(bytes).CopyTo(t.Span<double>()); break;
            case DType.Int32: MemoryMarshal.Cast<byte, int>(bytes).CopyTo(t.Span<int>()); break;
            case DType.Int64: MemoryMarshal.Cast<byte, long>(bytes).CopyTo(t.Span<long>()); break;
            case DType.Int16: MemoryMarshal.Cast<byte, short>(bytes).CopyTo(t.Span<short>()); break;
            case DType.UInt16: MemoryMarshal.Cast<byte, ushort>(bytes).CopyTo(t.Span<ushort>()); break;
            case DType.Int8: MemoryMarshal.Cast<byte, sbyte>(bytes).CopyTo(t.Span<sbyte>()); break;
            case DType.UInt8: bytes.CopyTo(t.Span<byte>()); break;
            case DType.Bool:
                var bd = t.Span<bool>();
                for (int i = 0; i < bd.Length; i++) bd[i] = bytes[i] != 0;
                break;
            default: throw new UnimplementedException($"Checkpoint '{Prefix}': dtype {info.DType} is not supported");
        }
        return t;
    }

    /// <summary>
    /// Reads the part <paramref name="slice"/> of the tensor named <paramref name="name"/>, as
    /// RestoreV2 does for a partition of a partitioned variable. The whole tensor must be stored
    /// with the slice's full shape (TF stores it so whenever one partition covers it all).
    /// </summary>
    public Tensor GetSlice(string name, TensorSliceSpec slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        var info = GetInfo(name);
        if (!info.Shape.ToArray().SequenceEqual(slice.FullShape))
            throw new InvalidArgumentException($"tensor_name = {name}; shape in shape_and_slice spec {Shape.Format(slice.FullShape.ToArray())} does not match the shape stored in checkpoint: {Shape.Format(info.Shape.ToArray())}");
        return slice.Extract(GetTensor(name));
    }

    private byte[] ReadData(BundleEntryProto e, string name)
    {
        var path = CheckpointFiles.DataFile(Prefix, e.ShardId, _shards.Length);
        var fs = _shards[e.ShardId];
        if (fs is null)
        {
            try
            {
                fs = _shards[e.ShardId] = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            }
            catch (FileNotFoundException ex)
            {
                throw new NotFoundException($"Checkpoint data file '{path}' does not exist", ex);
            }
        }
        if (e.Offset > fs.Length - e.Size)
            throw new DataLossException($"Checkpoint '{Prefix}': tensor '{name}' (offset {e.Offset}, {e.Size} bytes) runs past the end of '{path}' ({fs.Length} bytes)");
        var buf = new byte[e.Size];
        fs.Position = e.Offset;
        fs.ReadExactly(buf);
        return buf;
    }

    private void DecodeStrings(byte[] bytes, Span<byte[]> dst, BundleEntryProto e, string name)
    {
        int pos = 0;
        var lens = new long[dst.Length];
        uint lenCrc = 0;
        Span<byte> tmp = stackalloc byte[8];
        long total = 0;
        for (int i = 0; i < dst.Length; i++)
        {
            if (!Varint.TryRead64(bytes, ref pos, out var len) || len > int.MaxValue)
                throw new DataLossException($"Checkpoint '{Prefix}': string tensor '{name}' has a corrupt length at element {i}");
            lens[i] = (long)len;
            total += lens[i];
            BinaryPrimitives.WriteUInt64LittleEndian(tmp, len);
            lenCrc = Crc32C.Extend(lenCrc, len <= uint.MaxValue ? tmp[..4] : tmp);
        }
        if (pos > bytes.Length - 4 || total != bytes.Length - pos - 4)
            throw new DataLossException($"Checkpoint '{Prefix}': string tensor '{name}' has {bytes.Length} bytes, which does not match its lengths");
        uint storedLenCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos));
        if (Crc32C.Unmask(storedLenCrc) != lenCrc)
            throw new DataLossException($"Checkpoint '{Prefix}': checksum of the string lengths of tensor '{name}' does not match");
        uint crc = Crc32C.Extend(lenCrc, bytes.AsSpan(pos, 4));
        pos += 4;
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] = bytes.AsSpan(pos, (int)lens[i]).ToArray();
            pos += (int)lens[i];
        }
        crc = Crc32C.Extend(crc, bytes.AsSpan(pos - (int)total, (int)total));
        if (Crc32C.Unmask(e.Crc32C) != crc)
            throw new DataLossException($"Checkpoint '{Prefix}': checksum does not match for string tensor '{name}'");
    }

    /// <summary>Closes the data files.</summary>
    public void Dispose() => CloseShards();

    private void CloseShards()
    {
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i]?.Dispose();
            _shards[i] = null;
        }
    }
}
