using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

/// <summary>Name, dtype and shape of one tensor stored in a checkpoint.</summary>
/// <param name="Name">The key (for <c>tf.train.Saver</c> checkpoints, the variable op name).</param>
/// <param name="DType">The dtype, or <see cref="DType.Invalid"/> when TensorGraph does not support it.</param>
/// <param name="Shape">The full shape.</param>
/// <param name="ProtoDType">The dtype as stored in the file.</param>
public sealed record CheckpointTensorInfo(string Name, DType DType, Shape Shape, DataType ProtoDType);

/// <summary>File naming of V2 checkpoints (TF's tensor_bundle naming.cc).</summary>
public static partial class CheckpointFiles
{
    [GeneratedRegex(@"^\.data-(?<shard>[0-9]{5})-of-(?<n>[0-9]{5})$", RegexOptions.CultureInvariant)]
    private static partial Regex DataSuffix();

    [GeneratedRegex(@"^.+?\.(?:index|data-[0-9]{5}-of-[0-9]{5})(?<temp>\.t[^.]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex CheckpointTemp();

    /// <summary><c>prefix.index</c>.</summary>
    public static string IndexFile(string prefix) => prefix + ".index";

    /// <summary><c>prefix.data-SSSSS-of-NNNNN</c>.</summary>
    public static string DataFile(string prefix, int shard, int numShards) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}.data-{shard:D5}-of-{numShards:D5}");

    /// <summary>True when <c>prefix.index</c> exists.</summary>
    public static bool Exists(string prefix) => File.Exists(IndexFile(prefix));

    /// <summary>Deletes the index, data and meta files of a checkpoint (missing files are ignored).</summary>
    public static void Delete(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix))!;
        var name = Path.GetFileName(prefix);
        TryDelete(IndexFile(prefix));
        TryDelete(prefix + ".meta");
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.EnumerateFiles(dir, name + ".data-*-of-*")) TryDelete(f);
    }

    private static void TryDelete(string f) => AtomicFile.TryDelete(f);

    /// <summary>
    /// The shard count declared by the index of the checkpoint at <paramref name="prefix"/>, or 0
    /// when there is no readable index.
    /// </summary>
    internal static int ShardCount(string prefix)
    {
        var index = IndexFile(prefix);
        if (!File.Exists(index)) return 0;
        try
        {
            var entries = TableReader.ReadAll(index);
            if (entries.Count == 0 || entries[0].Key.Length != 0) return 0;
            return BundleHeaderProto.Parser.ParseFrom(entries[0].Value).NumShards;
        }
        catch (Exception e) when (e is TensorGraphException or IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Removes the temporary checkpoint index and data files in the folder of
    /// <paramref name="prefix"/> (of any prefix there: saves with a global step write a new prefix
    /// each time) left by writers that died before finishing (see
    /// <see cref="AtomicFile.CleanStaleTemps(string)"/>).
    /// </summary>
    internal static int CleanStaleTemps(string prefix)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix));
        if (dir is null) return 0;
        return AtomicFile.CleanStaleTemps(dir, "*.t*", n => CheckpointTemp().Match(n) is { Success: true } m ? m.Groups["temp"].Value : null);
    }

    /// <summary>Deletes the data files of <paramref name="prefix"/> whose shard count is not <paramref name="numShards"/>.</summary>
    internal static void DeleteDataFilesExcept(string prefix, int numShards)
    {
        var full = Path.GetFullPath(prefix);
        var dir = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.EnumerateFiles(dir, name + ".data-*-of-*"))
        {
            var fileName = Path.GetFileName(f);
            if (!fileName.StartsWith(name, StringComparison.Ordinal)) continue;
            var m = DataSuffix().Match(fileName[name.Length..]);
            if (m.Success && int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) != numShards) TryDelete(f);
        }
    }
}

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

/// <summary>
/// Writes a TensorFlow V2 checkpoint (uncompressed index, all tensors in shard 0) readable by
/// TensorFlow. Replacing a checkpoint is atomic: readers open <c>prefix.index</c> and then the data
/// files its header's shard count names, so the new data goes to files the current index does not
/// name — one shard (<c>prefix.data-00000-of-00001</c>), or two (the second empty) when the
/// current checkpoint has one — and the index is renamed over the old one last. At every instant
/// the index and the data it names are the complete old checkpoint or the complete new one; the
/// old data files are deleted after the switch. Temporary files are named after their target
/// with the writer's process id (<see cref="AtomicFile.TempPathFor"/>), and a new writer first
/// removes those of dead writers.
/// </summary>
public sealed class CheckpointWriter : IDisposable
{
    private readonly SortedDictionary<byte[], (string Name, BundleEntryProto Entry)> _entries = new(ByteComparer.Instance);
    private readonly string _dataTemp;
    private readonly FileStream _data;
    private bool _done;

    [ThreadStatic]
    private static Action<string>? _faultInjection;

    /// <summary>
    /// Test hook (per thread): called with a stage name before each step of <see cref="Finish"/>:
    /// "data" (flush the data), "index" (write the temporary index), "rename" (move the data files
    /// into place), "commit" (rename the index over the old one), "cleanup" (delete the old data).
    /// </summary>
    internal static Action<string>? FaultInjection
    {
        get => _faultInjection;
        set => _faultInjection = value;
    }

    /// <summary>Starts a checkpoint at <paramref name="prefix"/> (its directory is created if needed).</summary>
    public CheckpointWriter(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        CheckpointFiles.CleanStaleTemps(prefix);
        _dataTemp = AtomicFile.TempPathFor(CheckpointFiles.DataFile(prefix, 0, 1));
        _data = new FileStream(_dataTemp, FileMode.CreateNew, FileAccess.Write);
    }

    /// <summary>The checkpoint prefix.</summary>
    public string Prefix { get; }

    /// <summary>Appends <paramref name="tensor"/> under <paramref name="name"/>.</summary>
    public void Add(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        if (_done) throw new FailedPreconditionException("The checkpoint writer has already finished");
        var key = Encoding.UTF8.GetBytes(name);
        if (key.Length == 0) throw new InvalidArgumentException("A checkpoint tensor name must not be empty");
        if (_entries.ContainsKey(key)) throw new InvalidArgumentException($"Adding duplicate key: {name}");
        var entry = new BundleEntryProto { Dtype = tensor.DType.ToProto(), Shape = tensor.Shape.ToProto(), ShardId = 0, Offset = _data.Position };
        uint crc;
        if (tensor.DType == DType.String)
        {
            var strs = tensor.Span<byte[]>();
            var head = new List<byte>();
            uint lenCrc = 0;
            Span<byte> tmp = stackalloc byte[8];
            foreach (var s in strs)
            {
                Varint.Write(head, (ulong)s.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(tmp, (uint)s.Length);
                lenCrc = Crc32C.Extend(lenCrc, tmp[..4]);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(tmp, Crc32C.Mask(lenCrc));
            var headBytes = head.ToArray();
            _data.Write(headBytes);
            _data.Write(tmp[..4]);
            crc = Crc32C.Extend(lenCrc, tmp[..4]);
            long size = headBytes.Length + 4;
            foreach (var s in strs)
            {
                _data.Write(s);
                crc = Crc32C.Extend(crc, s);
                size += s.Length;
            }
            entry.Size = size;
        }
        else
        {
            var bytes = TensorProtos.RawBytes(tensor);
            _data.Write(bytes);
            crc = Crc32C.Compute(bytes);
            entry.Size = bytes.Length;
        }
        entry.Crc32C = Crc32C.Mask(crc);
        _entries[key] = (name, entry);
    }

    /// <summary>
    /// Writes the index and switches the prefix to the new checkpoint (see the class remarks).
    /// A failure before the index is renamed leaves the previous checkpoint in force.
    /// </summary>
    public void Finish()
    {
        if (_done) throw new FailedPreconditionException("The checkpoint writer has already finished");
        _done = true;
        int numShards = CheckpointFiles.ShardCount(Prefix) == 1 ? 2 : 1;
        var indexPath = CheckpointFiles.IndexFile(Prefix);
        string indexTemp = AtomicFile.TempPathFor(indexPath);
        string? emptyTemp = null;
        try
        {
            FaultInjection?.Invoke("data");
            _data.Flush(true);
            _data.Dispose();
            FaultInjection?.Invoke("index");
            using (var fs = new FileStream(indexTemp, FileMode.CreateNew, FileAccess.Write))
            {
                WriteIndex(fs, _entries.Select(kv => (kv.Key, kv.Value.Entry)), numShards);
                fs.Flush(true);
            }
            FaultInjection?.Invoke("rename");
            File.Move(_dataTemp, CheckpointFiles.DataFile(Prefix, 0, numShards), overwrite: true);
            for (int shard = 1; shard < numShards; shard++)
            {
                var target = CheckpointFiles.DataFile(Prefix, shard, numShards);
                emptyTemp = AtomicFile.TempPathFor(target);
                using (var fs = new FileStream(emptyTemp, FileMode.CreateNew, FileAccess.Write)) fs.Flush(true);
                File.Move(emptyTemp, target, overwrite: true);
            }
            FaultInjection?.Invoke("commit");
            File.Move(indexTemp, indexPath, overwrite: true);
            FaultInjection?.Invoke("cleanup");
            CheckpointFiles.DeleteDataFilesExcept(Prefix, numShards);
        }
        catch
        {
            TryDelete(_dataTemp);
            TryDelete(indexTemp);
            if (emptyTemp is not null) TryDelete(emptyTemp);
            throw;
        }
    }

    /// <summary>Writes a bundle index (header + entries in key order) to <paramref name="output"/>.</summary>
    internal static void WriteIndex(Stream output, IEnumerable<(byte[] Key, BundleEntryProto Entry)> entries, int numShards)
    {
        var header = new BundleHeaderProto { NumShards = numShards, Endianness = BundleHeaderProto.Types.Endianness.Little, Version = new VersionDef { Producer = 1 } };
        var t = new TableWriter(output);
        t.Add([], header.ToByteArray());
        foreach (var (k, e) in entries) t.Add(k, e.ToByteArray());
        t.Finish();
    }

    private static void TryDelete(string f) => AtomicFile.TryDelete(f);

    /// <summary>Abandons an unfinished checkpoint (its temporary files are deleted).</summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _data.Dispose();
        TryDelete(_dataTemp);
    }

    internal sealed class ByteComparer : IComparer<byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}

/// <summary>TF's <c>MergeBundles</c>: combines several checkpoints into one multi-shard checkpoint.</summary>
public static class CheckpointMerger
{
    private static void TryDelete(string f) => AtomicFile.TryDelete(f);

    /// <summary>
    /// Merges the checkpoints at <paramref name="sources"/> into <paramref name="destination"/>:
    /// data files are renamed to <c>destination.data-i-of-N</c>, one merged index is written and
    /// the source index files are deleted (and their directories, when empty and
    /// <paramref name="deleteOldDirs"/> is set). Duplicate tensor names are an error. When
    /// <paramref name="destination"/> already holds a checkpoint with N shards, the merged one
    /// gets an extra empty shard (N + 1), so its data files never replace those the current index
    /// names and the index rename switches from the whole old checkpoint to the whole new one,
    /// as <see cref="CheckpointWriter"/> does; the old data files are deleted afterwards.
    /// </summary>
    public static void Merge(IReadOnlyList<string> sources, string destination, bool deleteOldDirs = true)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(destination);
        if (sources.Count == 0) throw new InvalidArgumentException("MergeV2Checkpoints needs at least one source checkpoint");
        var merged = new SortedDictionary<byte[], BundleEntryProto>(CheckpointWriter.ByteComparer.Instance);
        var shardCounts = new int[sources.Count];
        int total = 0;
        for (int s = 0; s < sources.Count; s++)
        {
            using var r = new CheckpointReader(sources[s]);
            shardCounts[s] = r.Header.NumShards;
            foreach (var name in r.TensorNames)
            {
                var e = r.GetEntry(name).Clone();
                e.ShardId += total;
                if (!merged.TryAdd(Encoding.UTF8.GetBytes(name), e))
                    throw new InvalidArgumentException($"Duplicate tensor name '{name}' while merging checkpoints into {destination}");
            }
            total += shardCounts[s];
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(destination));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var destFull = Path.GetFullPath(destination);
        bool inPlace = sources.Any(src => string.Equals(Path.GetFullPath(src), destFull, StringComparison.Ordinal));
        int numShards = !inPlace && CheckpointFiles.ShardCount(destination) == total ? total + 1 : total;
        CheckpointFiles.CleanStaleTemps(destination);
        int shard = 0;
        for (int s = 0; s < sources.Count; s++)
        {
            for (int k = 0; k < shardCounts[s]; k++, shard++)
            {
                var from = CheckpointFiles.DataFile(sources[s], k, shardCounts[s]);
                var to = CheckpointFiles.DataFile(destination, shard, numShards);
                if (!File.Exists(from)) throw new NotFoundException($"Checkpoint data file '{from}' does not exist");
                if (!string.Equals(Path.GetFullPath(from), Path.GetFullPath(to), StringComparison.Ordinal)) File.Move(from, to, overwrite: true);
            }
        }
        for (; shard < numShards; shard++) AtomicFile.WriteAllBytes(CheckpointFiles.DataFile(destination, shard, numShards), []);
        var indexTemp = AtomicFile.TempPathFor(CheckpointFiles.IndexFile(destination));
        try
        {
            using (var fs = new FileStream(indexTemp, FileMode.CreateNew, FileAccess.Write))
            {
                CheckpointWriter.WriteIndex(fs, merged.Select(kv => (kv.Key, kv.Value)), numShards);
                fs.Flush(true);
            }
            File.Move(indexTemp, CheckpointFiles.IndexFile(destination), overwrite: true);
        }
        catch
        {
            TryDelete(indexTemp);
            throw;
        }
        CheckpointFiles.DeleteDataFilesExcept(destination, numShards);
        var destIndex = Path.GetFullPath(CheckpointFiles.IndexFile(destination));
        foreach (var src in sources)
        {
            var idx = CheckpointFiles.IndexFile(src);
            if (string.Equals(Path.GetFullPath(idx), destIndex, StringComparison.Ordinal)) continue;
            File.Delete(idx);
            if (!deleteOldDirs) continue;
            var d = Path.GetDirectoryName(Path.GetFullPath(src));
            if (d is not null && !string.Equals(d, dir, StringComparison.Ordinal) && Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any())
                Directory.Delete(d);
        }
    }
}
