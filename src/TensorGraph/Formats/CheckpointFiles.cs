using System.Globalization;
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
