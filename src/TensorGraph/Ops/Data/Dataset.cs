namespace TensorGraph;

/// <summary>
/// The builder shaped like TF 1.15's Python <c>tf.data.Dataset</c>: a description of an input
/// pipeline whose element dtypes and static shapes are known at once
/// (<see cref="OutputTypes"/>, <see cref="OutputShapes"/>). Its nodes — TensorSliceDataset,
/// BatchDatasetV2, ShuffleDataset, … with TF's node names — are added to the graph when
/// <see cref="Variant"/> is first asked for (by <see cref="MakeInitializableIterator"/>), or, for
/// <see cref="MakeOneShotIterator"/>, inside the branch that initializes the iterator, as TF puts them
/// in the one-shot iterator's factory function. Every method returns a new dataset; a dataset
/// can be the input of several.
/// </summary>
public sealed class Dataset
{
    private readonly Func<bool, Output> _build;
    private Output? _variant;

    private Dataset(Graph graph, DType[] types, Shape[] shapes, Func<bool, Output> build)
    {
        Graph = graph;
        OutputTypes = types;
        OutputShapes = shapes;
        _build = build;
    }

    /// <summary>The graph the dataset's nodes go to.</summary>
    public Graph Graph { get; }

    /// <summary>The dtypes of an element's components.</summary>
    public IReadOnlyList<DType> OutputTypes { get; }

    /// <summary>The static shapes of an element's components (a batch's first dim is unknown unless the remainder is dropped).</summary>
    public IReadOnlyList<Shape> OutputShapes { get; }

    private DType[] Types => [.. OutputTypes];

    private Shape[] Shapes => [.. OutputShapes];

    /// <summary>The dataset's variant tensor (its last node), built the first time it is asked for.</summary>
    public Output Variant => _variant ??= _build(false);

    /// <summary>The variant tensor: the cached one, or (<paramref name="fresh"/>) a new copy of the whole pipeline in the current control context.</summary>
    private Output Node(bool fresh) => fresh ? _build(true) : Variant;

    private Dataset Then(DType[] types, Shape[] shapes, Func<bool, Output> build) => new(Graph, types, shapes, build);

    private Output I64(long v, string name) => Graph.Constant(Tensor.Scalar(v), name: name);

    /// <summary>TF's <c>Dataset.from_tensor_slices((x, y, …))</c>: one element per row of the components, which share their first dim.</summary>
    public static Dataset FromTensorSlices(Graph graph, params Output[] components)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Check(components);
        var shapes = components.Select(c => c.Shape.IsRankKnown && c.Shape.Rank > 0 ? new Shape(c.Shape.ToArray()[1..]) : Shape.Unknown).ToArray();
        return new(graph, [.. components.Select(c => c.DType)], shapes, _ => graph.TensorSliceDataset(components, shapes));
    }

    /// <summary>TF's <c>Dataset.from_tensor_slices</c> of host values (each becomes a Const named <c>tensors/component_i</c>).</summary>
    public static Dataset FromTensorSlices(Graph graph, params Tensor[] components)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(components);
        if (components.Length == 0) throw new InvalidArgumentException("A dataset element needs at least one component");
        foreach (var c in components)
        {
            if (c.Rank == 0) throw new InvalidArgumentException("Slicing a dataset component needs at least rank 1, got a scalar");
        }
        var shapes = components.Select(c => new Shape(c.Dims.ToArray()[1..])).ToArray();
        return new(graph, [.. components.Select(c => c.DType)], shapes, _ => graph.TensorSliceDataset(Consts(graph, components), shapes));
    }

    /// <summary>TF's <c>Dataset.from_tensors((x, …))</c>: a single element.</summary>
    public static Dataset FromTensors(Graph graph, params Output[] components)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Check(components);
        var shapes = components.Select(c => c.Shape).ToArray();
        return new(graph, [.. components.Select(c => c.DType)], shapes, _ => graph.TensorDataset(components, shapes));
    }

    /// <summary>TF's <c>Dataset.from_tensors</c> of host values.</summary>
    public static Dataset FromTensors(Graph graph, params Tensor[] components)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(components);
        if (components.Length == 0) throw new InvalidArgumentException("A dataset element needs at least one component");
        var shapes = components.Select(c => c.Shape).ToArray();
        return new(graph, [.. components.Select(c => c.DType)], shapes, _ => graph.TensorDataset(Consts(graph, components), shapes));
    }

    /// <summary>TF's <c>Dataset.range(stop)</c>: the int64 scalars 0 … stop-1.</summary>
    public static Dataset Range(Graph graph, long stop) => Range(graph, 0, stop, 1);

    /// <summary>TF's <c>Dataset.range(start, stop, step)</c> (int64 scalars; step ≠ 0).</summary>
    public static Dataset Range(Graph graph, long start, long stop, long step = 1)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (step == 0) throw new InvalidArgumentException("step must be a non-zero integer.");
        return new(graph, [DType.Int64], [Shape.Scalar], _ =>
            graph.RangeDataset(graph.Constant(Tensor.Scalar(start), name: "start"), graph.Constant(Tensor.Scalar(stop), name: "stop"),
                graph.Constant(Tensor.Scalar(step), name: "step")));
    }

    /// <summary>TF's <c>tf.data.TFRecordDataset(filenames, compression_type, buffer_size)</c>: the records (string scalars) of the files in order; compression "", "ZLIB" or "GZIP".</summary>
    public static Dataset TFRecord(Graph graph, string[] filenames, string compressionType = "", long bufferSize = 0)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(filenames);
        return new(graph, [DType.String], [Shape.Scalar], _ =>
            graph.TFRecordDataset(graph.Constant(Tensor.Create(filenames, filenames.Length), name: "filenames"),
                graph.Constant(Tensor.Scalar(compressionType), name: "compression_type"), graph.Constant(Tensor.Scalar(bufferSize), name: "buffer_size")));
    }

    /// <summary>TF's <c>TFRecordDataset</c> over a string tensor of file names (a scalar or vector, e.g. a placeholder).</summary>
    public static Dataset TFRecord(Output filenames, string compressionType = "", long bufferSize = 0)
    {
        var graph = filenames.Op?.Graph ?? throw new InvalidArgumentException("The file names are a default (unset) Output");
        return new(graph, [DType.String], [Shape.Scalar], _ =>
            graph.TFRecordDataset(filenames, graph.Constant(Tensor.Scalar(compressionType), name: "compression_type"),
                graph.Constant(Tensor.Scalar(bufferSize), name: "buffer_size")));
    }

    /// <summary>TF's <c>Dataset.zip((a, b, …))</c>: elements side by side (components concatenated), as long as the shortest.</summary>
    public static Dataset Zip(params Dataset[] datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Length == 0) throw new InvalidArgumentException("Zip needs at least one dataset");
        var g = datasets[0].Graph;
        if (datasets.Any(d => d.Graph != g)) throw new InvalidArgumentException("The zipped datasets must be in one graph");
        DType[] types = [.. datasets.SelectMany(d => d.OutputTypes)];
        Shape[] shapes = [.. datasets.SelectMany(d => d.OutputShapes)];
        return new(g, types, shapes, fresh => g.ZipDataset([.. datasets.Select(d => d.Node(fresh))], types, shapes));
    }

    /// <summary>
    /// TF's <c>shuffle(buffer_size, seed, reshuffle_each_iteration)</c>. The (seed, seed2) attrs come
    /// from the graph seed and <paramref name="seed"/> as for random ops (<see cref="Graph.GetSeed"/>):
    /// neither set is a different order every time; otherwise the order is fixed per seed, and
    /// with <paramref name="reshuffleEachIteration"/> each repetition (epoch) is shuffled anew.
    /// </summary>
    public Dataset Shuffle(long bufferSize, int? seed = null, bool reshuffleEachIteration = true)
    {
        if (bufferSize <= 0) throw new InvalidArgumentException("buffer_size must be greater than zero.");
        var (s1, s2) = Graph.GetSeed(seed);
        return Then(Types, Shapes, fresh => Graph.ShuffleDataset(Node(fresh), I64(bufferSize, "buffer_size"), I64(s1, "seed"), I64(s2, "seed2"),
            Types, Shapes, reshuffleEachIteration));
    }

    /// <summary>TF's <c>batch(batch_size, drop_remainder)</c>: components stacked along a new first dim (known only when the remainder is dropped).</summary>
    public Dataset Batch(long batchSize, bool dropRemainder = false)
    {
        if (batchSize <= 0) throw new InvalidArgumentException("Batch size must be greater than zero.");
        var shapes = BatchedShapes(Shapes, dropRemainder ? (int)Math.Min(batchSize, int.MaxValue) : -1);
        return Then(Types, shapes, fresh => Graph.BatchDatasetV2(Node(fresh), I64(batchSize, "batch_size"),
            Graph.Constant(Tensor.Scalar(dropRemainder), name: "drop_remainder"), Types, shapes));
    }

    /// <summary>
    /// TF's <c>padded_batch(batch_size, padded_shapes, padding_values, drop_remainder)</c>: each
    /// component padded to its padded shape (a -1 dim: to the batch's longest) with its padding value
    /// (default 0, or "" for strings). Without <paramref name="paddedShapes"/> every dim pads to the
    /// batch's longest.
    /// </summary>
    public Dataset PaddedBatch(long batchSize, Shape[]? paddedShapes = null, Tensor[]? paddingValues = null, bool dropRemainder = false)
    {
        if (batchSize <= 0) throw new InvalidArgumentException("Batch size must be greater than zero.");
        var types = Types;
        var padded = paddedShapes ?? [.. Shapes.Select(s => s.IsRankKnown ? Shape.UnknownOfRank(s.Rank) : throw new InvalidArgumentException("padded_batch needs the rank of every component; give padded_shapes"))];
        if (padded.Length != types.Length)
            throw new InvalidArgumentException($"padded_shapes has {padded.Length} entries, but the elements have {types.Length} components");
        for (int i = 0; i < padded.Length; i++)
        {
            if (!padded[i].IsRankKnown) throw new InvalidArgumentException($"padded_shapes[{i}] must have a known rank");
            if (Shapes[i].IsRankKnown && Shapes[i].Rank != padded[i].Rank)
                throw new InvalidArgumentException($"The padded shape {padded[i]} is not compatible with the corresponding input component shape {Shapes[i]}");
            for (int d = 0; d < padded[i].Rank; d++)
            {
                if (padded[i][d] >= 0 && Shapes[i].IsRankKnown && Shapes[i][d] > padded[i][d])
                    throw new InvalidArgumentException($"The padded shape {padded[i]} is not compatible with the corresponding input component shape {Shapes[i]}");
            }
        }
        var values = paddingValues ?? [.. types.Select(t => t == DType.String ? Tensor.Scalar("") : Tensor.Zeros(t))];
        if (values.Length != types.Length)
            throw new InvalidArgumentException($"padding_values has {values.Length} entries, but the elements have {types.Length} components");
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i].DType != types[i] || values[i].Rank != 0)
                throw new InvalidArgumentException($"padding_values[{i}] must be a {types[i].Name()} scalar, got a {values[i].DType.Name()} tensor of shape {values[i].Shape}");
        }
        var shapes = BatchedShapes(padded, dropRemainder ? (int)Math.Min(batchSize, int.MaxValue) : -1);
        return Then(types, shapes, fresh =>
        {
            var node = Node(fresh);
            var ps = padded.Select(p => Graph.Constant(Tensor.Create(p.ToArray().Select(d => (long)d).ToArray(), p.Rank), name: "padded_shapes")).ToArray();
            var pv = values.Select(v => Graph.Constant(v, name: "padding_value")).ToArray();
            return Graph.PaddedBatchDatasetV2(node, I64(batchSize, "batch_size"), ps, pv, Graph.Constant(Tensor.Scalar(dropRemainder), name: "drop_remainder"), shapes);
        });
    }

    /// <summary>TF's <c>repeat(count)</c>: the sequence <paramref name="count"/> times, -1 forever.</summary>
    public Dataset Repeat(long count = -1) =>
        Then(Types, Shapes, fresh => Graph.RepeatDataset(Node(fresh), I64(count, "count"), Types, Shapes));

    /// <summary>
    /// TF's <c>map(map_func)</c>: every element through <paramref name="mapFunc"/>, which builds the
    /// new element from the components on a graph of its own (a library function named
    /// <c>Dataset_map_N</c>, as TF traces <c>map_func</c> into one; it runs once per element). The
    /// function cannot read tensors of the outer graph: build constants inside it.
    /// </summary>
    public Dataset Map(Func<Graph, Output[], Output[]> mapFunc) => MapWith(mapFunc, null);

    /// <summary>
    /// TF's <c>map(map_func, num_parallel_calls)</c>: <see cref="Map(Func{Graph, Output[], Output[]})"/>
    /// with up to <paramref name="numParallelCalls"/> elements mapped at once on pool threads
    /// (<see cref="Autotune"/>: one per processor), a ParallelMapDataset node; the elements keep
    /// their order.
    /// </summary>
    public Dataset Map(Func<Graph, Output[], Output[]> mapFunc, int numParallelCalls)
    {
        if (numParallelCalls <= 0 && numParallelCalls != Autotune)
            throw new InvalidArgumentException("num_parallel_calls must be greater than zero.");
        return MapWith(mapFunc, numParallelCalls);
    }

    /// <summary>TF's <c>tf.data.experimental.AUTOTUNE</c> (-1): as many parallel calls as processors.</summary>
    public const int Autotune = -1;

    private Dataset MapWith(Func<Graph, Output[], Output[]> mapFunc, int? numParallelCalls)
    {
        ArgumentNullException.ThrowIfNull(mapFunc);
        var (name, results) = Trace("Dataset_map", mapFunc);
        DType[] types = [.. results.Select(r => r.DType)];
        Shape[] shapes = [.. results.Select(r => r.Shape)];
        if (types.Length == 0) throw new InvalidArgumentException("The map function must return at least one tensor");
        return Then(types, shapes, fresh => numParallelCalls is { } n
            ? Graph.ParallelMapDataset(Node(fresh), [], Graph.Constant(Tensor.Scalar(n), name: "num_parallel_calls"), name, types, shapes)
            : Graph.MapDataset(Node(fresh), [], name, types, shapes));
    }

    /// <summary>
    /// TF's <c>filter(predicate)</c>: the elements for which <paramref name="predicate"/> (built as
    /// for <see cref="Map(Func{Graph, Output[], Output[]})"/>, a function <c>Dataset_filter_N</c>) returns a true bool scalar.
    /// </summary>
    public Dataset Filter(Func<Graph, Output[], Output> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var (name, results) = Trace("Dataset_filter", (g, args) => [predicate(g, args)]);
        if (results[0].DType != DType.Bool || !results[0].Shape.IsCompatibleWith(Shape.Scalar))
            throw new InvalidArgumentException($"The filter predicate must return a scalar bool tensor, got {results[0].DType.Name()} of shape {results[0].Shape}");
        return Then(Types, Shapes, fresh => Graph.FilterDataset(Node(fresh), [], name, Types, Shapes));
    }

    // Defines a library function from a per-element body; its results' dtypes and static shapes
    // become the new element spec.
    private (string Name, Output[] Results) Trace(string prefix, Func<Graph, Output[], Output[]> body)
    {
        var library = Graph.Library;
        int n = 0;
        string name;
        do name = $"{prefix}_{n++}";
        while (library is not null && library.Function.Any(f => f.Signature?.Name == name));
        Output[] results = [];
        Graph.DefineFunction(name, Types, (g, args) => results = body(g, args), Shapes);
        return (name, results);
    }

    /// <summary>TF's <c>take(count)</c>: at most the first <paramref name="count"/> elements (-1 all).</summary>
    public Dataset Take(long count) =>
        Then(Types, Shapes, fresh => Graph.TakeDataset(Node(fresh), I64(count, "count"), Types, Shapes));

    /// <summary>TF's <c>skip(count)</c>: all but the first <paramref name="count"/> elements (-1 none).</summary>
    public Dataset Skip(long count) =>
        Then(Types, Shapes, fresh => Graph.SkipDataset(Node(fresh), I64(count, "count"), Types, Shapes));

    /// <summary>TF's <c>prefetch(buffer_size)</c> (-1 autotune); the elements are unchanged.</summary>
    public Dataset Prefetch(long bufferSize)
    {
        if (bufferSize < -1) throw new InvalidArgumentException("buffer_size must be >= 0 or set buffer_size to be -1 for autotune");
        return Then(Types, Shapes, fresh => Graph.PrefetchDataset(Node(fresh), I64(bufferSize, "buffer_size"), Types, Shapes));
    }

    /// <summary>
    /// TF's <c>make_initializable_iterator(shared_name)</c>: an IteratorV2 node named <c>Iterator</c>
    /// and its MakeIterator initializer; run <see cref="Iterator.Initializer"/> before
    /// <see cref="Iterator.GetNext"/>, and again to start over.
    /// </summary>
    public Iterator MakeInitializableIterator(string sharedName = "", string? name = null)
    {
        var handle = Graph.IteratorV2(Types, Shapes, sharedName, name: name);
        var init = Graph.MakeIterator(Variant, handle);
        return new Iterator(Graph, handle, Types, Shapes, init, null);
    }

    /// <summary>
    /// TF's <c>make_one_shot_iterator()</c>: an iterator that starts on this dataset by itself the
    /// first time an element is asked for, and cannot be restarted. TF builds the dataset in a graph
    /// function run by a OneShotIterator node; here it is an IteratorV2 whose MakeIterator runs in the
    /// branch of a <c>Cond</c> taken only while a resource variable (<c>&lt;iterator&gt;/initialized</c>)
    /// is still uninitialized, with the pipeline's nodes inside that branch, so later steps run none
    /// of them. The graph exports and runs in TensorFlow unchanged.
    /// </summary>
    public Iterator MakeOneShotIterator(string? name = null)
    {
        var g = Graph;
        var handle = g.IteratorV2(Types, Shapes, name: name ?? "OneShotIterator");
        Output ready;
        using (g.NameScope(handle.Op.Name + "/init"))
        {
            var flag = g.VarHandleOp(DType.Bool, Shape.Scalar, name: "initialized");
            var done = g.VarIsInitializedOp(flag);
            ready = g.Cond(done, () => g.Identity(g.Constant(Tensor.Scalar(true))), () =>
            {
                var make = g.MakeIterator(Node(fresh: true), handle);
                using (g.ControlDependencies(make))
                {
                    var set = g.AssignVariableOp(flag, g.Constant(Tensor.Scalar(true)));
                    using (g.ControlDependencies(set)) return g.Identity(g.Constant(Tensor.Scalar(true)));
                }
            });
        }
        return new Iterator(g, handle, Types, Shapes, null, ready.Op);
    }

    private static Shape[] BatchedShapes(Shape[] shapes, int batch) =>
        [.. shapes.Select(s => s.IsRankKnown ? new Shape([batch, .. s.ToArray()]) : Shape.Unknown)];

    private static void Check(Output[] components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Length == 0) throw new InvalidArgumentException("A dataset element needs at least one component");
    }

    private static Output[] Consts(Graph g, Tensor[] components)
    {
        using var scope = g.NameScope("tensors");
        return [.. components.Select((c, i) => g.Constant(c, name: $"component_{i}"))];
    }
}

/// <summary>
/// An iterator over a <see cref="Dataset"/> (TF's <c>tf.data.Iterator</c> in graph mode): the
/// iterator's resource handle, its initializer (null for a one-shot iterator), and
/// <see cref="GetNext"/>, which builds an IteratorGetNext node. Elements are read across
/// <c>Session.Run</c> calls; after the last one a run fails with OutOfRangeException.
/// </summary>
public sealed class Iterator
{
    private readonly DType[] _types;
    private readonly Shape[] _shapes;
    private readonly Operation? _ready;

    internal Iterator(Graph graph, Output handle, DType[] types, Shape[] shapes, Operation? initializer, Operation? ready)
    {
        Graph = graph;
        Handle = handle;
        _types = types;
        _shapes = shapes;
        Initializer = initializer;
        _ready = ready;
    }

    /// <summary>The graph of the iterator's nodes.</summary>
    public Graph Graph { get; }

    /// <summary>The iterator's resource handle (the IteratorV2 node).</summary>
    public Output Handle { get; }

    /// <summary>The MakeIterator node that (re)starts an initializable iterator; null for a one-shot iterator.</summary>
    public Operation? Initializer { get; }

    /// <summary>The element dtypes.</summary>
    public IReadOnlyList<DType> OutputTypes => _types;

    /// <summary>The element static shapes.</summary>
    public IReadOnlyList<Shape> OutputShapes => _shapes;

    /// <summary>TF's <c>get_next()</c>: an IteratorGetNext node (default name <c>IteratorGetNext</c>), one output per component.</summary>
    public Output[] GetNext(string? name = null)
    {
        if (_ready is null) return Graph.IteratorGetNext(Handle, _types, _shapes, name);
        using (Graph.ControlDependencies(_ready)) return Graph.IteratorGetNext(Handle, _types, _shapes, name);
    }

    /// <summary>TF's <c>string_handle()</c>: an IteratorToStringHandle node.</summary>
    public Output StringHandle(string? name = null) => Graph.IteratorToStringHandle(Handle, name);

    /// <summary>
    /// TF's <c>Iterator.from_string_handle(string_handle, output_types, output_shapes)</c>: a feedable
    /// iterator that reads from whichever iterator the fed string handle names.
    /// </summary>
    public static Iterator FromStringHandle(Output stringHandle, DType[] outputTypes, Shape[] outputShapes)
    {
        ArgumentNullException.ThrowIfNull(outputTypes);
        ArgumentNullException.ThrowIfNull(outputShapes);
        var g = stringHandle.Op?.Graph ?? throw new InvalidArgumentException("The string handle is a default (unset) Output");
        var h = g.IteratorFromStringHandleV2(stringHandle, outputTypes, outputShapes);
        return new Iterator(g, h, outputTypes, outputShapes, null, null);
    }
}
