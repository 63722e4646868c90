using System.Text;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

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
