using System.Globalization;
using TensorGraph.Serialization;

namespace TensorGraph.Cli;

/// <summary>
/// A graph file that <c>tensorgraph worker --graph</c> trains: its loss (and optional metric)
/// tensor and the data sets fed to its tensors, each a <c>.npy</c> file with one row per example.
/// Replica <c>r</c> of <c>N</c> trains on the rows <c>i</c> with <c>i mod N = r</c> (TF's
/// <c>dataset.shard(N, r)</c>), in order, <c>--batch_size</c> rows a step, cycling over its shard:
/// the batch of global step <c>s</c> is shard positions <c>s·B … s·B+B-1</c> (modulo the shard's size).
/// </summary>
public sealed class WorkerGraph
{
    private readonly Feed[] _feeds;

    private sealed record Feed(string Name, string File, Output Target, Tensor Data);

    private WorkerGraph(string path, Graph graph, Output loss, Output? metric, string? metricName, Feed[] feeds, int rows)
    {
        Path = path;
        Graph = graph;
        Loss = loss;
        Metric = metric;
        MetricName = metricName;
        _feeds = feeds;
        Rows = rows;
    }

    /// <summary>The graph file.</summary>
    public string Path { get; }

    /// <summary>The imported graph.</summary>
    public Graph Graph { get; }

    /// <summary>The scalar float loss minimized.</summary>
    public Output Loss { get; }

    /// <summary>A tensor fetched and printed with the loss, or null.</summary>
    public Output? Metric { get; }

    /// <summary>The metric as the user named it.</summary>
    public string? MetricName { get; }

    /// <summary>Examples in the data sets (0 when nothing is fed).</summary>
    public int Rows { get; }

    /// <summary>Whether every fed tensor accepts any number of rows, so the whole data set can be fed at once.</summary>
    public bool CanFeedAllRows => _feeds.All(f => !f.Target.Shape.IsRankKnown || f.Target.Shape[0] < 0 || f.Target.Shape[0] == Rows);

    /// <summary>
    /// Imports <paramref name="path"/> (a MetaGraph <c>.meta</c>, or a GraphDef) and resolves the
    /// <c>--loss</c>, <c>--metric</c> and <c>NAME=@file.npy</c> feeds, checking them against the
    /// graph: each data set's dtype and row shape must fit its tensor, all must have the same rows,
    /// at least one per replica, and the graph must carry the variables to train (a MetaGraph's
    /// variable collections).
    /// </summary>
    public static WorkerGraph Load(string path, string loss, string? metric, IReadOnlyList<string> feeds, int batchSize, int replicas, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(feeds);
        var options = strict ? ImportOptions.StrictOptions : ImportOptions.Lenient;
        var p = path;
        var kind = Models.KindOf(ref p);
        Graph graph;
        switch (kind)
        {
            case ModelKind.SavedModel:
                throw new CliException(ExitCode.Usage, $"--graph {path}: a SavedModel; pass a MetaGraph (.meta) or GraphDef (.pb/.pbtxt) file");
            case ModelKind.MetaGraph:
            {
                var meta = Models.Read(path, () => MetaGraphs.Read(p));
                graph = new Graph();
                var g = graph;
                Models.Read(path, () =>
                {
                    g.ImportMetaGraph(meta, source: p, options: options);
                    return 0;
                });
                break;
            }
            default:
                graph = Models.Read(path, () => Graph.Load(p, options));
                break;
        }

        var lossT = Runner.ResolveTensor(graph, loss, "--loss");
        if (lossT.DType is not (DType.Float32 or DType.Float64))
            throw new CliException($"--loss {loss}: '{lossT.Name}' is {lossT.DType.Name()}; the loss must be a float32 or float64 scalar");
        if (lossT.Shape.IsRankKnown && lossT.Shape.Rank != 0)
            throw new CliException($"--loss {loss}: '{lossT.Name}' has shape {lossT.Shape}; the loss must be a scalar (reduce it, e.g. with reduce_mean)");
        Output? metricT = null;
        if (metric is not null)
        {
            metricT = Runner.ResolveTensor(graph, metric, "--metric");
            if (!IsNumeric(metricT.Value.DType))
                throw new CliException($"--metric {metric}: '{metricT.Value.Name}' is {metricT.Value.DType.Name()}; the metric must be a numeric scalar");
            if (metricT.Value.Shape.IsRankKnown && metricT.Value.Shape.Rank != 0)
                throw new CliException($"--metric {metric}: '{metricT.Value.Name}' has shape {metricT.Value.Shape}; the metric must be a scalar");
        }

        var parsed = new List<Feed>();
        foreach (var f in feeds)
        {
            int eq = f.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq + 1 >= f.Length || f[eq + 1] != '@')
                throw new CliException(ExitCode.Usage, $"--feed '{f}': expected NAME=@FILE.npy (a data set, one row per example)");
            var name = f[..eq];
            var file = f[(eq + 2)..];
            var target = Runner.ResolveTensor(graph, name, "--feed");
            if (parsed.Any(q => q.Target == target)) throw new CliException(ExitCode.Usage, $"--feed {name}: '{target.Name}' is fed twice");
            var data = Runner.ParseValue(f[(eq + 1)..], target.DType, name);
            if (data.Rank == 0) throw new CliException($"{file}: a scalar; a data set for '{name}' needs one row per example (rank ≥ 1)");
            CheckRowShape(target, data, name, file, batchSize);
            if (parsed.Count > 0 && data.Dims[0] != parsed[0].Data.Dims[0])
                throw new CliException(string.Create(CultureInfo.InvariantCulture,
                    $"--feed {name}: {file} has {data.Dims[0]} rows, but {parsed[0].File} (--feed {parsed[0].Name}) has {parsed[0].Data.Dims[0]}; every feed must have one row per example"));
            parsed.Add(new Feed(name, file, target, data));
        }
        int rows = parsed.Count == 0 ? 0 : parsed[0].Data.Dims[0];
        if (parsed.Count > 0 && rows < replicas)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"--feed {parsed[0].Name}: {parsed[0].File} has {rows} rows, fewer than the {replicas} replicas (each replica trains on its shard of the rows)"));
        AdoptGlobalStep(graph);
        CheckVariables(graph, path, kind);
        return new WorkerGraph(path, graph, lossT, metricT, metric, [.. parsed], rows);
    }

    private static bool IsNumeric(DType t) => t is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64 or DType.Int16 or DType.Int8 or DType.UInt8 or DType.UInt16;

    /// <summary>A data set must be rows of the tensor's shape without its first dimension; a fixed first dimension must be the batch size.</summary>
    private static void CheckRowShape(Output target, Tensor data, string name, string file, int batchSize)
    {
        var shape = target.Shape;
        if (!shape.IsRankKnown) return;
        var row = data.Dims[1..].ToArray();
        bool fits = shape.Rank == data.Rank && Shape.FromSpan(shape.Dims[1..]).IsCompatibleWith((ReadOnlySpan<int>)row);
        if (!fits)
            throw new CliException($"--feed {name}: {file} has shape {data.Shape}, which does not fit '{target.Name}' of shape {shape} (rows of shape {Shape.FromSpan(row)})");
        if (shape[0] >= 0 && shape[0] != batchSize)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"--feed {name}: '{target.Name}' takes batches of exactly {shape[0]} rows (shape {shape}), but --batch_size is {batchSize}"));
    }

    /// <summary>
    /// TF's <c>tf.train.get_global_step</c> falls back to the tensor <c>global_step:0</c> when the
    /// <c>global_step</c> collection is empty (graphs built with a plain <c>tf.Variable(0,
    /// name='global_step')</c>): such an integer scalar variable joins the collection, so it is the
    /// shards' step rather than a hosted variable.
    /// </summary>
    private static void AdoptGlobalStep(Graph graph)
    {
        if (graph.GetCollection<object>(GraphKeys.GlobalStep).Count > 0) return;
        var v = graph.GlobalVariables.FirstOrDefault(v => v.Name == GraphKeys.GlobalStep);
        if (v is not null && v.Value.DType.IsInteger() && v.Value.Shape.IsRankKnown && v.Value.Shape.Rank == 0) graph.AddToCollection(GraphKeys.GlobalStep, v);
    }

    /// <summary>The graph must have variables as objects (MetaGraph collections): a GraphDef's variable nodes do not say which are trainable or how they are initialized.</summary>
    private static void CheckVariables(Graph graph, string path, ModelKind kind)
    {
        var step = graph.GetGlobalStep();
        if (graph.GlobalVariables.Any(v => v != step))
        {
            if (graph.TrainableVariables.Count == 0)
                throw new CliException($"--graph {path}: none of its {graph.GlobalVariables.Count} variable(s) is trainable (the MetaGraph's trainable_variables collection is empty)");
            return;
        }
        var nodes = graph.Operations.Where(o => o.Type is "VariableV2" or "Variable" or "VarHandleOp").ToArray();
        if (nodes.Length == 0) throw new CliException($"--graph {path}: the graph has no variables to train");
        if (kind == ModelKind.GraphDef)
            throw new CliException($"--graph {path}: a GraphDef has no variable metadata (which of its {nodes.Length} variable nodes, e.g. '{nodes[0].Name}', are trainable and how they are initialized); export a MetaGraph (.meta, tf.train.export_meta_graph) and pass that");
        if (nodes.All(n => n.Type == "VarHandleOp"))
            throw new CliException($"--graph {path}: its variables are resource variables (VarHandleOp, e.g. '{nodes[0].Name}'), which distributed training does not host; build them as ref variables (use_resource=False)");
        throw new CliException($"--graph {path}: the MetaGraph's variable collections name none of its {nodes.Length} variable nodes (e.g. '{nodes[0].Name}')");
    }

    /// <summary>
    /// The data row of position <paramref name="j"/> in the batch of replica <paramref name="replica"/>
    /// of <paramref name="replicas"/> at global step <paramref name="step"/>: the replica's shard is
    /// the rows <c>i</c> with <c>i mod replicas = replica</c>; its batch of step <c>s</c> is shard
    /// position <c>(s·batchSize + j) mod shardSize</c>.
    /// </summary>
    public static int Row(long step, int j, int replica, int replicas, int batchSize, int rows)
    {
        long shard = (rows - replica + replicas - 1) / replicas;
        long pos = (step * batchSize + j) % shard;
        return checked((int)(replica + pos * replicas));
    }

    /// <summary>The feeds of replica <paramref name="replica"/>'s batch at global step <paramref name="step"/> (see <see cref="Row"/>).</summary>
    public FeedDict Batch(long step, int replica, int replicas, int batchSize)
    {
        var rows = new int[Rows == 0 ? 0 : batchSize];
        for (int j = 0; j < rows.Length; j++) rows[j] = Row(step, j, replica, replicas, batchSize, Rows);
        return FeedRows(rows);
    }

    /// <summary>Every row of the data sets.</summary>
    public FeedDict All() => FeedRows([.. Enumerable.Range(0, Rows)]);

    private FeedDict FeedRows(int[] rows)
    {
        var feeds = new FeedDict();
        foreach (var f in _feeds) feeds[f.Target] = Gather(f.Data, rows);
        return feeds;
    }

    /// <summary>The rows <paramref name="rows"/> of <paramref name="data"/>, in that order.</summary>
    public static Tensor Gather(Tensor data, int[] rows)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        return data.DType switch
        {
            DType.Float32 => Gather<float>(data, rows),
            DType.Float64 => Gather<double>(data, rows),
            DType.Int32 => Gather<int>(data, rows),
            DType.Int64 => Gather<long>(data, rows),
            DType.Int16 => Gather<short>(data, rows),
            DType.Int8 => Gather<sbyte>(data, rows),
            DType.UInt8 => Gather<byte>(data, rows),
            DType.UInt16 => Gather<ushort>(data, rows),
            DType.Bool => Gather<bool>(data, rows),
            _ => throw new CliException($"cannot take rows of a {data.DType.Name()} data set"),
        };
    }

    private static Tensor Gather<T>(Tensor data, int[] rows)
    {
        var src = data.AsSpan<T>();
        int width = data.Dims[0] == 0 ? 0 : data.Size / data.Dims[0];
        var dst = new T[rows.Length * width];
        for (int i = 0; i < rows.Length; i++) src.Slice(rows[i] * width, width).CopyTo(dst.AsSpan(i * width, width));
        var dims = data.Dims.ToArray();
        dims[0] = rows.Length;
        return Tensor.Create(dst, dims);
    }

    /// <summary>A one-line description: the file, what is trained, the data.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{System.IO.Path.GetFileName(Path)} minimizing '{Loss.Name}' over {Graph.TrainableVariables.Count} trainable variable(s), {Rows} rows{(_feeds.Length == 0 ? "" : " fed to " + string.Join(", ", _feeds.Select(f => f.Target.Name)))}");

    /// <summary>A scalar's value as progress lines print it (floats to 4 decimals); a tensor of another size as its text.</summary>
    public static string Format(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Size != 1) return t.ToString() ?? "";
        return t.DType switch
        {
            DType.Float32 => t.AsSpan<float>()[0].ToString("0.0000", CultureInfo.InvariantCulture),
            DType.Float64 => t.AsSpan<double>()[0].ToString("0.0000", CultureInfo.InvariantCulture),
            DType.Int32 => t.AsSpan<int>()[0].ToString(CultureInfo.InvariantCulture),
            DType.Int64 => t.AsSpan<long>()[0].ToString(CultureInfo.InvariantCulture),
            _ => t.ToString() ?? "",
        };
    }
}
