using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

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
