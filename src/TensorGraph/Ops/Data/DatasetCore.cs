using System.Runtime.ExceptionServices;
using TensorGraph.Proto;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// A tf.data dataset (TF's <c>DatasetBase</c>, core/framework/dataset.h): an immutable description
/// of a sequence of elements, each a tuple of tensors of <see cref="Types"/> and (static)
/// <see cref="Shapes"/>. A dataset op's kernel makes one and hands it on in a scalar
/// <see cref="DType.Variant"/> tensor; the tensors it holds are its own copies, so a dataset
/// outlives the run that made it. Iterating is done by <see cref="MakeIterator"/>, any number of
/// times: every iterator starts from the beginning.
/// </summary>
internal abstract class DatasetBase(string kind, DType[] types, Shape[] shapes)
{
    /// <summary>The op type that made the dataset (in messages).</summary>
    public string Kind { get; } = kind;

    /// <summary>The dtypes of an element's components.</summary>
    public DType[] Types { get; } = types;

    /// <summary>The components' static shapes (possibly partial).</summary>
    public Shape[] Shapes { get; } = shapes;

    /// <summary>A fresh iterator positioned before the first element.</summary>
    public abstract DatasetIterator MakeIterator();

    /// <summary>The dataset in messages and printed tensors: <c>&lt;BatchDatasetV2: [int64]&gt;</c>.</summary>
    public override string ToString() => $"<{Kind}: {DatasetOps.TypeList(Types)}>";

    /// <summary>The scalar variant tensor that carries this dataset.</summary>
    public Tensor ToTensor() => new(DType.Variant, new object[] { this }, [], 1);

    /// <summary>The dataset a variant tensor carries; InvalidArgument for anything else.</summary>
    public static DatasetBase Resolve(Tensor t, string what = "input_dataset")
    {
        if (t.DType != DType.Variant || t.Size != 1 || t.Data.GetValue(0) is not DatasetBase d)
            throw new InvalidArgumentException($"Expected {what} to be a scalar variant tensor holding a dataset, got a {t.DType.Name()} tensor of shape {Shape.Format(t.Dims)}");
        return d;
    }
}

/// <summary>
/// A position in a dataset (TF's <c>IteratorBase</c>): <see cref="GetNext"/> returns the next element,
/// or null at the end of the sequence (and on every call after it). An iterator is used by one
/// caller at a time (<see cref="IteratorResource"/> serializes); the tensors it returns belong to the
/// caller. Disposing releases whatever it holds (open files, input iterators).
/// </summary>
internal abstract class DatasetIterator : IDisposable
{
    /// <summary>The next element, or null at the end of the sequence.</summary>
    public abstract Tensor[]? GetNext(OpContext ctx);

    /// <summary>Releases held resources; the default holds none.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>
/// A dataset that passes each element of its input through a per-element transform: the element
/// out, or null to drop it. This is the slot dataset ops whose work is a graph function
/// (MapDataset, ParallelMapDataset, FilterDataset) plug into: their kernel builds the transform
/// from the function and wraps the input in this dataset. The transform gets the calling run's
/// context, or — when <paramref name="parallelism"/> is above 1 — none and a token its iterator
/// cancels: then up to that many elements are transformed at once on pool threads, and the results
/// come out in input order (TF's ParallelMapDataset with deterministic order); an error stays with
/// its element and is raised when that element is asked for.
/// </summary>
internal sealed class TransformDataset(string kind, DatasetBase input, DType[] types, Shape[] shapes,
    Func<Tensor[], OpContext?, CancellationToken, Tensor[]?> transform, int parallelism = 1) : DatasetBase(kind, types, shapes)
{
    public override DatasetIterator MakeIterator() =>
        parallelism > 1 ? new ParallelIt(input.MakeIterator(), transform, parallelism) : new It(input.MakeIterator(), transform);

    private sealed class It(DatasetIterator input, Func<Tensor[], OpContext?, CancellationToken, Tensor[]?> transform) : DatasetIterator
    {
        public override Tensor[]? GetNext(OpContext ctx)
        {
            while (input.GetNext(ctx) is { } e)
            {
                if (transform(e, ctx, default) is { } r) return r;
            }
            return null;
        }

        public override void Dispose()
        {
            input.Dispose();
            base.Dispose();
        }
    }

    // The input is read on the caller's thread (its iterators may use the run's context); only the
    // transforms run on pool threads, at most `window` of them ahead of the consumer.
    private sealed class ParallelIt(DatasetIterator input, Func<Tensor[], OpContext?, CancellationToken, Tensor[]?> transform, int window) : DatasetIterator
    {
        private readonly Queue<Task<Tensor[]?>> _inFlight = new();
        private readonly CancellationTokenSource _cancel = new();
        private bool _inputDone;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            while (true)
            {
                while (!_inputDone && _inFlight.Count < window)
                {
                    var e = input.GetNext(ctx);
                    if (e is null)
                    {
                        _inputDone = true;
                        break;
                    }
                    var token = _cancel.Token;
                    _inFlight.Enqueue(Task.Run(() => transform(e, null, token), token));
                }
                if (_inFlight.Count == 0) return null;
                var head = _inFlight.Peek();
                while (!((IAsyncResult)head).AsyncWaitHandle.WaitOne(10)) ctx.CheckStop();
                _inFlight.Dequeue();
                // GetResult rethrows the element's own exception, not an AggregateException.
                if (head.GetAwaiter().GetResult() is { } r) return r;
            }
        }

        public override void Dispose()
        {
            _cancel.Cancel();
            foreach (var t in _inFlight)
            {
                try
                {
                    t.Wait();
                }
                catch (AggregateException)
                {
                    // The element's error (or its cancellation) no longer has a caller.
                }
            }
            _inFlight.Clear();
            _cancel.Dispose();
            input.Dispose();
            base.Dispose();
        }
    }
}

/// <summary>
/// An iterator that groups up to <c>n</c> consecutive input elements into one (BatchDatasetV2,
/// PaddedBatchDatasetV2): a short last group is kept unless <c>drop</c>; <see cref="Combine"/> makes
/// the batched element from the group.
/// </summary>
internal abstract class GroupingIterator(DatasetIterator input, int n, bool drop) : DatasetIterator
{
    private bool _end;

    /// <summary>The batched element of <paramref name="group"/> (1 to n elements).</summary>
    protected abstract Tensor[] Combine(List<Tensor[]> group);

    public override Tensor[]? GetNext(OpContext ctx)
    {
        if (_end) return null;
        var group = new List<Tensor[]>();
        while (group.Count < n)
        {
            var e = input.GetNext(ctx);
            if (e is null)
            {
                _end = true;
                break;
            }
            group.Add(e);
        }
        if (group.Count == 0 || (drop && group.Count < n)) return null;
        return Combine(group);
    }

    public override void Dispose()
    {
        input.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// A dataset op whose attr <see cref="FunctionAttr"/> names a library function applied per element
/// (MapDataset's <c>f</c>, FilterDataset's <c>predicate</c>): the function is bound to the session
/// when the kernel is made, the captured <c>other_arguments</c> are copied when the dataset is made,
/// and <see cref="Transform"/> turns one element (and the function's results) into the output
/// element, or null to drop it.
/// </summary>
internal abstract class FunctionDatasetOpSpec : UnaryDatasetOpSpec
{
    /// <summary>The attr naming the function.</summary>
    protected abstract string FunctionAttr { get; }

    /// <summary>The attrs of TF's schema: the function attr <paramref name="functionAttr"/>, <c>Targuments</c>, the element spec, then <paramref name="extra"/>.</summary>
    protected static AttrSpec[] FunctionAttrs(string functionAttr, params AttrSpec[] extra) =>
        [new(functionAttr, "func"), new("Targuments", "list(type)", Minimum: 0), .. ElementAttrs(), .. extra];

    protected override string[] InputArgs => ["input_dataset: variant", "other_arguments: Targuments"];

    /// <summary>Whether the input dataset's element dtypes must equal <c>output_types</c> (a filter keeps elements as they are).</summary>
    protected abstract bool KeepsElementTypes { get; }

    /// <summary>The output element for <paramref name="element"/> given the function's <paramref name="results"/>; null drops it.</summary>
    protected abstract Tensor[]? Transform(Tensor[] element, Tensor[] results, DType[] types, string node, string function);

    /// <summary>How many of the inputs after <c>other_arguments</c> are the op's own scalars (ParallelMapDataset's <c>num_parallel_calls</c>).</summary>
    protected virtual int TrailingInputs => 0;

    /// <summary>How many elements may be transformed at once, read from this run's inputs (1: in the caller's thread).</summary>
    protected virtual int Parallelism(OpContext ctx) => 1;

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var types = DatasetOps.Types(b.Op.GetAttr("output_types"));
        var shapes = DatasetOps.Shapes(b.Op.GetAttr("output_shapes"));
        var f = Functions.FunctionRuntime.Bind(b, b.Op.GetAttr(FunctionAttr).Func);
        var node = b.Op.Name;
        return new LambdaKernel(ctx =>
        {
            var input = KeepsElementTypes ? Input(ctx, types) : DatasetBase.Resolve(ctx.Input(0));
            var captured = new Tensor[ctx.NumInputs - 1 - TrailingInputs];
            for (int i = 0; i < captured.Length; i++) captured[i] = ctx.Input(1 + i).Clone();
            var d = new TransformDataset(Type, input, types, shapes, (element, c, cancel) =>
                Transform(element, f.Call(captured.Length == 0 ? element : [.. element, .. captured], c, cancel), types, node, f.Name),
                Parallelism(ctx));
            ctx.SetOutput(0, d.ToTensor());
        }, OutputKind.External);
    }

    protected sealed override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) =>
        throw new InternalException($"{Type} makes its dataset in its own kernel");
}

/// <summary>
/// An iterator living in the session (TF's <c>IteratorResource</c>): created by IteratorV2 under
/// (container, shared_name) or its node, (re)positioned at the start of a dataset by MakeIterator,
/// advanced by IteratorGetNext across runs. Calls are serialized; a waiting caller polls its run's
/// stop conditions.
/// </summary>
internal sealed class IteratorResource(string key, string name, DType[] types, Shape[] shapes) : IDisposable
{
    /// <summary>Where the iterator lives in its session's resources (its string handle).</summary>
    public string Key { get; } = key;

    private readonly Lock _sync = new();
    private DatasetIterator? _iterator;
    private bool _disposed;
    private bool _started;
    private ExceptionDispatchInfo? _startError;

    /// <summary>The iterator's name (its shared name, or the node's).</summary>
    public string Name { get; } = name;

    /// <summary>The element dtypes the iterator was declared with.</summary>
    public DType[] Types { get; } = types;

    /// <summary>The element shapes the iterator was declared with.</summary>
    public Shape[] Shapes { get; } = shapes;

    private void Enter(OpContext ctx)
    {
        while (!_sync.TryEnter(10)) ctx.CheckStop();
    }

    /// <summary>TF's MakeIterator: starts <paramref name="dataset"/> from its beginning, dropping any previous position.</summary>
    public void Reset(DatasetBase dataset, OpContext ctx)
    {
        Check(dataset);
        Enter(ctx);
        try
        {
            if (_disposed) throw new CancelledException("Run call was cancelled: the session was closed while the run was in flight");
            _iterator?.Dispose();
            _iterator = dataset.MakeIterator();
        }
        finally
        {
            _sync.Exit();
        }
    }

    /// <summary>
    /// TF's OneShotIterator: the first call starts the dataset <paramref name="make"/> builds; later
    /// calls do nothing, or raise the error the first one met again (the iterator cannot be
    /// restarted). A cancelled or timed-out start is not kept: the next call tries again.
    /// </summary>
    public void StartOnce(Func<DatasetBase> make, OpContext ctx)
    {
        Enter(ctx);
        try
        {
            if (_disposed) throw new CancelledException("Run call was cancelled: the session was closed while the run was in flight");
            if (_started)
            {
                _startError?.Throw();
                return;
            }
            try
            {
                var dataset = make();
                Check(dataset);
                _iterator = dataset.MakeIterator();
            }
            catch (TensorGraphException e) when (e is not CancelledException and not DeadlineExceededException)
            {
                _startError = ExceptionDispatchInfo.Capture(e);
                _started = true;
                throw;
            }
            _started = true;
        }
        finally
        {
            _sync.Exit();
        }
    }

    private void Check(DatasetBase dataset)
    {
        if (!dataset.Types.SequenceEqual(Types))
            throw new InvalidArgumentException($"The iterator '{Name}' expects elements of types {DatasetOps.TypeList(Types)}, but the dataset ({dataset.Kind}) produces {DatasetOps.TypeList(dataset.Types)}");
        for (int i = 0; i < Shapes.Length && i < dataset.Shapes.Length; i++)
        {
            if (!Shapes[i].IsCompatibleWith(dataset.Shapes[i]))
                throw new InvalidArgumentException($"The iterator '{Name}' expects component {i} of shape {Shapes[i]}, but the dataset ({dataset.Kind}) produces {dataset.Shapes[i]}");
        }
    }

    /// <summary>TF's IteratorGetNext: the next element; OutOfRange "End of sequence" after the last.</summary>
    public Tensor[] GetNext(OpContext ctx)
    {
        Enter(ctx);
        try
        {
            if (_iterator is null)
                throw new FailedPreconditionException("GetNext() failed because the iterator has not been initialized. Ensure that you have run the initializer operation for this iterator before getting the next element.");
            var e = _iterator.GetNext(ctx) ?? throw new OutOfRangeException("End of sequence");
            if (e.Length != Types.Length)
                throw new InvalidArgumentException($"The iterator '{Name}' expects {Types.Length} components, got an element of {e.Length}");
            for (int i = 0; i < e.Length; i++)
            {
                if (e[i].DType != Types[i] || (i < Shapes.Length && !Shapes[i].IsCompatibleWith(e[i].Dims)))
                    throw new InvalidArgumentException($"Component {i} of the element is a {e[i].DType.Name()} tensor of shape {Shape.Format(e[i].Dims)}, but the iterator '{Name}' expects {Types[i].Name()} of shape {(i < Shapes.Length ? Shapes[i] : Shape.Unknown)}");
            }
            return e;
        }
        finally
        {
            _sync.Exit();
        }
    }

    /// <summary>The session is closing: release the position.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
            _iterator?.Dispose();
            _iterator = null;
        }
    }

    /// <summary>The iterator in messages and printed tensors.</summary>
    public override string ToString() => $"<Iterator '{Name}': {DatasetOps.TypeList(Types)}>";

    /// <summary>A scalar resource tensor referring to this iterator.</summary>
    public Tensor ToTensor() => new(DType.Resource, new object[] { this }, [], 1);

    /// <summary>The iterator a handle refers to.</summary>
    public static IteratorResource Resolve(Tensor handle)
    {
        if (handle.DType != DType.Resource || handle.Size != 1 || handle.Data.GetValue(0) is not IteratorResource r)
            throw new InvalidArgumentException($"Expected a handle to an iterator, got a {handle.DType.Name()} tensor of shape {Shape.Format(handle.Dims)}");
        return r;
    }
}

/// <summary>
/// The schema most dataset ops share: a <c>handle: variant</c> out, the element spec in
/// <c>output_types</c>/<c>output_shapes</c> (the source ops of tensors call them
/// <c>Toutput_types</c>), no gradient. The kernel makes the op's <see cref="DatasetBase"/> from its
/// inputs every time it runs.
/// </summary>
internal abstract class DatasetOpSpec : OpSpec
{
    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["handle: variant"];

    /// <summary>The name of the element-types attr (<c>output_types</c>, or <c>Toutput_types</c>).</summary>
    protected virtual string TypesAttr => "output_types";

    /// <summary>The attrs <c>output_types</c> and <c>output_shapes</c> (each a non-empty list).</summary>
    protected static AttrSpec[] ElementAttrs(string typesAttr = "output_types") =>
        [new(typesAttr, "list(type)", Minimum: 1), new("output_shapes", "list(shape)", Minimum: 1)];

    /// <summary>TF attrs added after 1.15: accepted on import, never written.</summary>
    protected static readonly AttrSpec Metadata = new("metadata", "string", Attr.String(""), Optional: true);

    public override void Infer(InferContext c)
    {
        var types = DatasetOps.Types(c.Attr(TypesAttr));
        var shapes = DatasetOps.Shapes(c.Attr("output_shapes"));
        if (types.Length != shapes.Length)
            throw c.Error($"{TypesAttr} has {types.Length} entries but output_shapes has {shapes.Length}");
        for (int i = 0; i < c.NumInputs; i++)
        {
            var arg = DatasetOps.InputArgName(this, c, i);
            if (arg is "input_dataset" or "input_datasets" && c.InputType(i) != DType.Variant)
                throw c.Error($"Expected a dataset (variant) as input {i} ('{c.Inputs[i].Name}'), got {c.InputType(i).Name()}");
            if (arg is "count" or "buffer_size" or "batch_size" or "drop_remainder" or "seed" or "seed2" or "start" or "stop" or "step" or "num_parallel_calls"
                && c.InputShape(i) is { IsRankKnown: true, Rank: not 0 } s)
                throw c.Error($"Shape must be rank 0 but is rank {s.Rank} for input '{arg}' ('{c.Inputs[i].Name}')");
        }
        InferElement(c, types, shapes);
        c.AddOutput(DType.Variant, Shape.Scalar);
    }

    /// <summary>Op-specific build-time checks of the inputs against the element spec.</summary>
    protected virtual void InferElement(InferContext c, DType[] types, Shape[] shapes)
    {
    }

    /// <summary>The dataset for one run of the node.</summary>
    protected abstract DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var types = DatasetOps.Types(b.Op.GetAttr(TypesAttr));
        var shapes = DatasetOps.Shapes(b.Op.GetAttr("output_shapes"));
        return new LambdaKernel(ctx => ctx.SetOutput(0, Create(ctx, types, shapes).ToTensor()), OutputKind.External);
    }
}

/// <summary>A dataset op with one input dataset and the element spec as attrs (Repeat, Take, Skip, Prefetch, …).</summary>
internal abstract class UnaryDatasetOpSpec : DatasetOpSpec
{
    /// <summary>The input dataset at run time, checked against the node's element dtypes.</summary>
    protected static DatasetBase Input(OpContext ctx, DType[] types)
    {
        var d = DatasetBase.Resolve(ctx.Input(0));
        if (!d.Types.SequenceEqual(types))
            throw new InvalidArgumentException($"The input dataset ({d.Kind}) produces {DatasetOps.TypeList(d.Types)}, but the op declares output_types {DatasetOps.TypeList(types)}");
        return d;
    }
}

/// <summary>Helpers of the dataset ops: attrs, scalar inputs, slicing and stacking elements.</summary>
internal static class DatasetOps
{
    public static DType[] Types(AttrValue? a) => [.. (a?.List?.Type ?? []).Select(DTypes.FromProto)];

    public static Shape[] Shapes(AttrValue? a) => [.. (a?.List?.Shape ?? []).Select(Shape.FromProto)];

    /// <summary>
    /// Where an iterator node's iterator lives among the session's resources: under (container,
    /// shared_name), or with no shared name under the node itself.
    /// </summary>
    public static string IteratorKey(Operation op, string sharedName) =>
        "iterator:" + op.GetAttrString("container") + "/" + (sharedName.Length > 0 ? sharedName : "\u0001" + op.Name);

    /// <summary>A dtype list as TF prints it: <c>[float, int64]</c>.</summary>
    public static string TypeList(IEnumerable<DType> types) => "[" + string.Join(", ", types.Select(t => ArgSpec.TfName(t))) + "]";

    /// <summary>The name of the declared input argument tensor <paramref name="i"/> belongs to.</summary>
    public static string InputArgName(OpSpec spec, InferContext c, int i)
    {
        int k = 0;
        foreach (var a in spec.Inputs)
        {
            int n = a.Count(c.Attrs) ?? 1;
            if (i < k + n) return a.Name;
            k += n;
        }
        return "";
    }

    /// <summary>An int64 scalar input (TF's <c>ParseScalarArgument&lt;int64&gt;</c>).</summary>
    public static long Int64Scalar(OpContext ctx, int i, string name)
    {
        var t = ctx.Input(i);
        if (t.Rank != 0 || t.DType != DType.Int64)
            throw new InvalidArgumentException($"{name} must be a scalar");
        return t.Scalar<long>();
    }

    /// <summary>A function's result as a dataset element: as many components as <paramref name="types"/>, of those dtypes.</summary>
    public static Tensor[] CheckElement(Tensor[] result, DType[] types, string node, string function)
    {
        if (result.Length != types.Length)
            throw new InvalidArgumentException($"Function {function} of '{node}' returned {result.Length} component(s), but the dataset declares output_types {TypeList(types)}") { NodeName = node };
        for (int i = 0; i < types.Length; i++)
        {
            if (result[i].DType != types[i])
                throw new InvalidArgumentException($"Function {function} of '{node}' returned {result[i].DType.Name()} for component {i}, but the dataset declares {types[i].Name()}") { NodeName = node };
        }
        return result;
    }

    /// <summary>The attrs of a function-taking dataset node built in code: the function by name, <c>Targuments</c> from the captured inputs, the element spec.</summary>
    public static KeyValuePair<string, AttrValue>[] FunctionNodeAttrs(string functionAttr, string function, Output[] otherArguments, DType[] types, Shape[] shapes)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(otherArguments);
        return [new(functionAttr, new AttrValue { Func = new NameAttrList { Name = function } }), new("Targuments", Attr.Types(otherArguments.Select(a => a.DType))),
            .. Graph.DatasetElementAttrs(types, shapes)];
    }

    /// <summary>A bool scalar input.</summary>
    public static bool BoolScalar(OpContext ctx, int i, string name)
    {
        var t = ctx.Input(i);
        if (t.Rank != 0 || t.DType != DType.Bool)
            throw new InvalidArgumentException($"{name} must be a scalar");
        return t.Scalar<bool>();
    }

    /// <summary>The dims of one row of <paramref name="t"/> (its dims without the first).</summary>
    public static int[] RowDims(Tensor t) => t.Dims.ToArray()[1..];

    /// <summary>Row <paramref name="i"/> of <paramref name="t"/> as a new tensor.</summary>
    public static Tensor Slice(Tensor t, int i)
    {
        var dims = RowDims(t);
        var row = Tensor.Zeros(t.DType, dims);
        int n = row.Size;
        Array.Copy(t.Data, (long)i * n, row.Data, 0, n);
        return row;
    }

    /// <summary>
    /// The tensors of <paramref name="parts"/> (all of one shape) stacked along a new first dim
    /// (TF's batch_util CopyElementToSlice); a shape mismatch is TF's InvalidArgument.
    /// </summary>
    public static Tensor Stack(IReadOnlyList<Tensor> parts, int component)
    {
        var first = parts[0];
        for (int k = 1; k < parts.Count; k++)
        {
            if (!parts[k].Dims.SequenceEqual(first.Dims))
                throw new InvalidArgumentException($"Cannot batch tensors with different shapes in component {component}. First element had shape {ShapeString(first.Dims)} and element {k} had shape {ShapeString(parts[k].Dims)}.");
        }
        var t = Tensor.Zeros(first.DType, [parts.Count, .. first.Dims.ToArray()]);
        int n = first.Size;
        for (int k = 0; k < parts.Count; k++) Array.Copy(parts[k].Data, 0, t.Data, (long)k * n, n);
        return t;
    }

    /// <summary>TF's TensorShape::DebugString: <c>[2,3]</c>.</summary>
    public static string ShapeString(ReadOnlySpan<int> dims) => "[" + string.Join(",", dims.ToArray()) + "]";

    /// <summary>A copy of <paramref name="t"/> the dataset keeps (the run's buffer may be reused).</summary>
    public static Tensor Keep(Tensor t) => t.Clone();

    /// <summary>The element spec of a batch of <paramref name="shapes"/>: a leading dim of <paramref name="batch"/> (-1 unknown).</summary>
    public static Shape[] Batched(Shape[] shapes, int batch) =>
        [.. shapes.Select(s => s.IsRankKnown ? new Shape([batch, .. s.ToArray()]) : Shape.Unknown)];
}

public sealed partial class Graph
{
    /// <summary>The output_types/output_shapes attrs of a dataset node.</summary>
    internal static KeyValuePair<string, Proto.AttrValue>[] DatasetElementAttrs(DType[] types, Shape[] shapes, string typesAttr = "output_types")
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(shapes);
        return [new(typesAttr, Attr.Types(types)), new("output_shapes", Attr.Shapes(shapes))];
    }
}
