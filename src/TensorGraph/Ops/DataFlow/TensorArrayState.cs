using System.Numerics.Tensors;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// The run-time state of one tensor array (TF's <c>TensorArray</c> resource, core/kernels/tensor_array.h):
/// a list of element slots, each written once and read once (or many times without
/// <c>clear_after_read</c>), living for one run. A gradient array (created by TensorArrayGradV3
/// for one forward array and one gradient source) sums multiple writes to a slot and reads a
/// slot nothing wrote as zeros of the shape the forward array had there.
/// </summary>
internal sealed class TensorArrayResource : RunResource
{
    /// <summary>TF's <c>TensorAndState</c>.</summary>
    private sealed class Entry
    {
        public Tensor? Value;
        public int[]? Shape;
        public bool Written;
        public bool Read;
        public bool Cleared;
    }

    private readonly List<Entry> _entries;
    private readonly bool _aggregate;
    private readonly bool _clearAfterRead;
    private readonly bool _identicalShapes;
    private Shape _elementShape;
    private bool _dynamicSize;
    private bool _closed;
    private bool _gradientsDisallowed;
    private int _markedSize;

    public TensorArrayResource(string name, DType dtype, int size, Shape elementShape, bool identicalShapes, bool dynamicSize,
        bool multipleWritesAggregate, bool isGrad, int markedSize, bool clearAfterRead) : base(name)
    {
        DType = dtype;
        _entries = new List<Entry>(size);
        for (int i = 0; i < size; i++) _entries.Add(new Entry());
        _elementShape = elementShape;
        _identicalShapes = identicalShapes;
        _dynamicSize = dynamicSize;
        _aggregate = multipleWritesAggregate;
        IsGrad = isGrad;
        _markedSize = markedSize;
        _clearAfterRead = clearAfterRead;
    }

    public DType DType { get; }

    /// <summary>A gradient array: reads of unwritten slots give zeros, concat/stack sizes are the forward array's marked size.</summary>
    public bool IsGrad { get; }

    public override string Kind => "tensor array";

    protected override void OnRelease() => _entries.Clear();

    private InvalidArgumentException Error(string what) => new($"TensorArray {Name}: {what}");

    private void CheckOpen()
    {
        if (_closed) throw new InvalidArgumentException($"TensorArray {Name} has already been closed.");
    }

    /// <summary>The number of slots (TF's <c>Size</c>).</summary>
    public int Size()
    {
        lock (Sync)
        {
            CheckOpen();
            return _entries.Count;
        }
    }

    /// <summary>Whether writes past the end grow the array.</summary>
    public bool HasDynamicSize
    {
        get
        {
            lock (Sync) return _dynamicSize;
        }
    }

    /// <summary>The element shape as far as it is known (the attr, refined by writes when shapes are identical).</summary>
    public Shape ElementShape
    {
        get
        {
            lock (Sync) return _elementShape;
        }
    }

    /// <summary>TF's <c>SetElemShape</c>: merges <paramref name="candidate"/> into the element shape.</summary>
    public void MergeElementShape(Shape candidate)
    {
        lock (Sync)
        {
            if (!_elementShape.IsCompatibleWith(candidate))
                throw new InvalidArgumentException($"Incompatible shapes: the TensorArray's element shape is {_elementShape}, the op expects {candidate}");
            _elementShape = _elementShape.MergeWith(candidate);
        }
    }

    /// <summary>Records the size that a split or unstack gave the array (its gradient's stack and concat size).</summary>
    public void SetMarkedSize(int size)
    {
        lock (Sync)
        {
            CheckOpen();
            if (!IsGrad) _markedSize = size;
        }
    }

    /// <summary>How many elements concat and stack take: the marked size for a gradient array, else the size.</summary>
    public int PackOrConcatSize()
    {
        lock (Sync)
        {
            CheckOpen();
            return IsGrad ? _markedSize : _entries.Count;
        }
    }

    /// <summary>TF's <c>ClearAndMarkClosed</c>.</summary>
    public void Close()
    {
        lock (Sync)
        {
            _entries.Clear();
            _closed = true;
        }
    }

    /// <summary>Writes (or, for a gradient array, adds) <paramref name="value"/>, a tensor the array may keep, at <paramref name="index"/>.</summary>
    public void Write(int index, Tensor value)
    {
        lock (Sync) LockedWrite(index, value);
    }

    /// <summary>Writes several elements in order; stops at the first error, as TF does.</summary>
    public void WriteMany(ReadOnlySpan<int> indices, Tensor[] values)
    {
        lock (Sync)
        {
            for (int i = 0; i < indices.Length; i++) LockedWrite(indices[i], values[i]);
        }
    }

    private void LockedWrite(int index, Tensor value)
    {
        CheckOpen();
        if (index < 0 || (!_dynamicSize && index >= _entries.Count))
            throw Error($"Tried to write to index {index} but array is not resizeable and size is: {_entries.Count}");
        while (_dynamicSize && index >= _entries.Count) _entries.Add(new Entry());
        var t = _entries[index];
        if (value.DType != DType)
            throw Error($"Could not write to TensorArray index {index} because the value dtype is {ArgSpec.TfName(value.DType)} but TensorArray dtype is {ArgSpec.TfName(DType)}.");
        if (!_elementShape.IsCompatibleWith(value.Dims))
            throw Error($"Could not write to TensorArray index {index} because the value shape is {Shape.Format(value.Dims)} which is incompatible with the TensorArray's inferred element shape: {_elementShape} (consider setting infer_shape=False).");
        if (_identicalShapes && !_elementShape.IsFullyDefined) _elementShape = Shape.FromSpan(value.Dims);
        if (t.Read) throw Error($"Could not write to TensorArray index {index} because it has already been read.");
        if (!_aggregate && t.Written) throw Error($"Could not write to TensorArray index {index} because it has already been written to.");
        if (t.Written)
        {
            // A gradient array sums the partial gradients written to one slot.
            if (!value.Dims.SequenceEqual(t.Shape))
                throw Error($"Could not aggregate to TensorArray index {index} because the existing shape is {Shape.Format(t.Shape)} but the new input shape is {Shape.Format(value.Dims)}.");
            if (t.Value is null || t.Value.Size == 0)
            {
                t.Value = value;
                return;
            }
            AddInto(t.Value, value);
            _gradientsDisallowed = true;
            return;
        }
        t.Value = value;
        t.Shape = value.Dims.ToArray();
        t.Written = true;
    }

    /// <summary>Reads element <paramref name="index"/> (TF's <c>LockedRead</c>); the result is not to be modified.</summary>
    public Tensor Read(int index)
    {
        lock (Sync) return LockedRead(index);
    }

    /// <summary>Reads several elements in order; stops at the first error, as TF does.</summary>
    public Tensor[] ReadMany(ReadOnlySpan<int> indices)
    {
        lock (Sync)
        {
            var r = new Tensor[indices.Length];
            for (int i = 0; i < r.Length; i++) r[i] = LockedRead(indices[i]);
            return r;
        }
    }

    private Tensor LockedRead(int index)
    {
        CheckOpen();
        if (index < 0 || (!IsGrad && index >= _entries.Count))
            throw new InvalidArgumentException($"Tried to read from index {index} but array size is: {_entries.Count}");
        if ((IsGrad && (index >= _entries.Count || !_entries[index].Written)) || (!IsGrad && !_entries[index].Written))
        {
            // Nothing was written here: zeros of the recorded or the (fully defined) element shape.
            int[] shape;
            if (IsGrad && index < _entries.Count && _entries[index].Shape is { Length: > 0 } recorded) shape = recorded;
            else if (!_elementShape.IsFullyDefined)
                throw Error($"Could not read from TensorArray index {index}.  Furthermore, the element shape is not fully defined: {_elementShape}.  " +
                    "It is possible you are working with a resizeable TensorArray and stop_gradients is not allowing the gradients to be written.  " +
                    "If you set the full element_shape property on the forward TensorArray, the proper all-zeros tensor will be returned instead of incurring this error.");
            else shape = _elementShape.ToArray();
            while (index >= _entries.Count) _entries.Add(new Entry { Shape = shape, Written = true });
            _entries[index].Shape = shape;
            _entries[index].Written = true;
        }
        var t = _entries[index];
        if (t.Cleared)
            throw Error($"Could not read index {index} twice because it was cleared after a previous read (perhaps try setting clear_after_read = false?).");
        var value = t.Value ?? Tensor.Zeros(DType, t.Shape!);
        t.Value = value;
        if (_clearAfterRead)
        {
            t.Value = null;
            t.Cleared = true;
        }
        t.Read = true;
        return value;
    }

    /// <summary>
    /// TensorArrayGradV3's array for (this array, <paramref name="source"/>), created on first use
    /// in the run: same size and element shape, not resizeable, summing writes, with the shape
    /// of every slot this array has written (prefixed by <paramref name="shapeToPrepend"/>, for
    /// TensorArrayGradWithShape). Creating it makes this array's size fixed.
    /// </summary>
    public TensorArrayResource GradArray(RunResources resources, string source, int[]? shapeToPrepend)
    {
        int size, marked;
        Shape elementShape;
        lock (Sync)
        {
            _dynamicSize = false;
            CheckOpen();
            size = _entries.Count;
            marked = _markedSize;
            if (_gradientsDisallowed)
                throw new InvalidArgumentException($"Unable to create a gradients TensorArray for {Name}.  Perhaps you used the multiple_writes_aggregate flag on a previous write?  " +
                    "Gradient calculation is impossible when multiple writes are performed to the same index.");
            elementShape = shapeToPrepend is null ? _elementShape
                : _elementShape.IsRankKnown ? new Shape([.. shapeToPrepend, .. _elementShape.ToArray()]) : Shape.Unknown;
        }
        return resources.GetOrCreate((this, source), () =>
        {
            var g = new TensorArrayResource($"{Name}@{source}", DType, size, elementShape, _identicalShapes, dynamicSize: false,
                multipleWritesAggregate: true, isGrad: true, markedSize: marked, clearAfterRead: true);
            g.CopyShapesFrom(this, shapeToPrepend);
            return g;
        });
    }

    /// <summary>TF's <c>CopyShapesFrom</c>: marks every slot <paramref name="forward"/> has written as written, with its shape and no value.</summary>
    private void CopyShapesFrom(TensorArrayResource forward, int[]? shapeToPrepend)
    {
        lock (forward.Sync)
        {
            forward.CheckOpen();
            for (int i = 0; i < _entries.Count && i < forward._entries.Count; i++)
            {
                var f = forward._entries[i];
                if (!f.Written) continue;
                _entries[i].Shape = shapeToPrepend is null ? f.Shape : [.. shapeToPrepend, .. f.Shape ?? []];
                _entries[i].Written = true;
            }
        }
    }

    /// <summary><paramref name="acc"/> += <paramref name="v"/> element-wise (same dtype and size).</summary>
    private static void AddInto(Tensor acc, Tensor v)
    {
        switch (acc.DType)
        {
            case DType.Float32: TensorPrimitives.Add(acc.Span<float>(), v.Span<float>(), acc.Span<float>()); break;
            case DType.Float64: TensorPrimitives.Add(acc.Span<double>(), v.Span<double>(), acc.Span<double>()); break;
            case DType.Int32: TensorPrimitives.Add<int>(acc.Span<int>(), v.Span<int>(), acc.Span<int>()); break;
            case DType.Int64: TensorPrimitives.Add<long>(acc.Span<long>(), v.Span<long>(), acc.Span<long>()); break;
            case DType.Int16: TensorPrimitives.Add<short>(acc.Span<short>(), v.Span<short>(), acc.Span<short>()); break;
            case DType.Int8: TensorPrimitives.Add<sbyte>(acc.Span<sbyte>(), v.Span<sbyte>(), acc.Span<sbyte>()); break;
            case DType.UInt8: TensorPrimitives.Add<byte>(acc.Span<byte>(), v.Span<byte>(), acc.Span<byte>()); break;
            case DType.UInt16: TensorPrimitives.Add<ushort>(acc.Span<ushort>(), v.Span<ushort>(), acc.Span<ushort>()); break;
            default: throw new UnimplementedException($"Aggregating {ArgSpec.TfName(acc.DType)} tensors in a TensorArray is not supported");
        }
    }

    // ---------------------------------------------------------------- helpers the TensorArray kernels share

    /// <summary>The tensor array input 0 of the running node refers to.</summary>
    public static TensorArrayResource From(OpContext ctx) => RunResources.Resolve<TensorArrayResource>(ctx.Input(0), "tensor array");

    /// <summary>TF's check that an op's dtype attr matches the array's.</summary>
    public void RequireDType(DType requested)
    {
        if (requested != DType)
            throw new InvalidArgumentException($"TensorArray dtype is {ArgSpec.TfName(DType)} but Op requested dtype {ArgSpec.TfName(requested)}.");
    }

    /// <summary>TF's check that a written value has the array's dtype.</summary>
    public void RequireWriteDType(Tensor value)
    {
        if (value.DType != DType)
            throw new InvalidArgumentException($"TensorArray dtype is {ArgSpec.TfName(DType)} but Op is trying to write dtype {ArgSpec.TfName(value.DType)}.");
    }

    /// <summary>A scalar int32 index input.</summary>
    public static int Index(Tensor t)
    {
        if (t.Rank != 0) throw new InvalidArgumentException($"TensorArray index must be scalar, but had shape: {Shape.Format(t.Dims)}");
        return t.Scalar<int>();
    }

    /// <summary>An int32 vector of indices.</summary>
    public static int[] Indices(Tensor t)
    {
        if (t.Rank != 1) throw new InvalidArgumentException($"Expected indices to be a vector, but received shape: {Shape.Format(t.Dims)}");
        return t.ToArray<int>();
    }

    /// <summary>The rows of <paramref name="value"/> from row <paramref name="start"/> as a new tensor of dims <paramref name="dims"/> (<paramref name="rowElements"/> elements a row), counted against the run's budget.</summary>
    public static Tensor Rows(OpContext ctx, Tensor value, long start, int[] dims, long rowElements)
    {
        var t = ctx.AllocateToKeep(value.DType, dims);
        if (t.Size > 0) Array.Copy(value.Data, start * rowElements, t.Data, 0, t.Size);
        return t;
    }

    /// <summary>Copies <paramref name="parts"/> one after another into <paramref name="output"/>.</summary>
    public static void Concatenate(Tensor[] parts, Tensor output)
    {
        long offset = 0;
        foreach (var p in parts)
        {
            if (p.Size > 0) Array.Copy(p.Data, 0, output.Data, offset, p.Size);
            offset += p.Size;
        }
    }
}

/// <summary>
/// An op whose output is a tensor-array handle (TensorArrayV3, TensorArrayGradV3): what shape
/// inference knows of that array's elements (TF's handle shapes and types).
/// </summary>
internal interface ITensorArraySource
{
    /// <summary>The element shape of the array output <paramref name="output"/> of <paramref name="op"/> refers to; null when unknown.</summary>
    Shape? HandleElementShape(Operation op, int output);
}

/// <summary>Build-time helpers of the TensorArray ops.</summary>
internal static class TensorArrayInference
{
    /// <summary>
    /// The element shape build time knows for a handle: from the op that created the array,
    /// through the Enter, Switch, Merge, Exit and NextIteration nodes that carry the handle
    /// through control flow (TF propagates handle shapes the same way); null when unknown.
    /// </summary>
    public static Shape? ElementShape(Output handle)
    {
        for (int hops = 0; hops < 256; hops++)
        {
            var op = handle.Op;
            if (op.Spec is ITensorArraySource s) return s.HandleElementShape(op, handle.Index);
            if (op.Spec.ControlFlow is ControlFlowRole.Enter or ControlFlowRole.Switch or ControlFlowRole.Merge
                or ControlFlowRole.Exit or ControlFlowRole.NextIteration && op.Inputs.Length > 0)
            {
                handle = op.Inputs[0];
                continue;
            }
            return null;
        }
        return null;
    }

    /// <summary>Checks the fixed dtypes the spec declares (resource handles, int32 indices, float flows) and that the named inputs are scalars.</summary>
    public static void CheckInputs(InferContext c, OpSpec spec, params int[] scalars)
    {
        for (int i = 0; i < spec.Inputs.Count && i < c.NumInputs; i++)
        {
            if (spec.Inputs[i].Type is { } t && c.InputType(i) != t)
                throw c.Error($"Input {i} ('{spec.Inputs[i].Name}') must be {ArgSpec.TfName(t)}, but '{c.Inputs[i].Name}' is {ArgSpec.TfName(c.InputType(i))}");
        }
        foreach (var i in scalars) RequireRank(c, i, 0);
    }

    /// <summary>Input <paramref name="i"/> must have rank <paramref name="rank"/> when its rank is known.</summary>
    public static void RequireRank(InferContext c, int i, int rank)
    {
        var s = c.InputShape(i);
        if (s.IsRankKnown && s.Rank != rank)
            throw c.Error($"Shape must be rank {rank} but is rank {s.Rank} for '{c.Inputs[i].Name}' (input '{c.Inputs[i].Name}' of shape {s})");
    }

    /// <summary>The shape <paramref name="prefix"/> followed by the dims of <paramref name="rest"/> (unknown when <paramref name="rest"/>'s rank is).</summary>
    public static Shape Concatenate(Shape prefix, Shape rest) =>
        prefix.IsRankKnown && rest.IsRankKnown ? new Shape([.. prefix.ToArray(), .. rest.ToArray()]) : Shape.Unknown;

    /// <summary>
    /// TF's <c>_GetGradSource</c>: the gradient tensor's name up to and including its last path
    /// component that starts with "gradients" (<c>gradients</c>, <c>loss/gradients_1</c>), which
    /// keys the gradient tensor array of one <c>Gradients</c> call.
    /// </summary>
    public static string GradSource(Output gradient)
    {
        var tokens = gradient.Name.Split('/');
        int last = -1;
        for (int i = 0; i < tokens.Length; i++) if (tokens[i].StartsWith("gradients", StringComparison.Ordinal)) last = i;
        if (last < 0)
            throw new InvalidArgumentException(
                $"Expected op/tensor name to start with gradients (excluding scope), got: {gradient.Name}. This means that a Gradients call with this op in its " +
                "dependency path has a custom name that does not start with 'gradients'. Please make sure all calls to Gradients that have non-empty 'name' arguments use names that start with 'gradients'.");
        return string.Join('/', tokens[..(last + 1)]);
    }
}
