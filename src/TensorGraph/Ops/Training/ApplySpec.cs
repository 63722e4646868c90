using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Shared schema of TF's Apply* training ops: the first <see cref="RefCount"/> inputs are variable
/// references updated in place (var first), the others are values; scalar hyper-parameters must be
/// rank 0 and the gradient must have the variable's shape. Output 0 is the updated var reference.
/// The kernel holds the locks of all its ref variables while it updates them. The ResourceApply*
/// versions (<see cref="ResourceInputs"/>) take resource-variable handles instead, resolved on
/// every run, and have no output. The SparseApply* versions (<see cref="IndicesIndex"/>) take a
/// gradient of rows, <c>grad[i]</c> for row <c>indices[i]</c>, and update those rows one after
/// another with the dense op's formula (repeated indices apply in order, as TF's CPU kernels do);
/// every index is checked before anything is written.
/// </summary>
internal abstract class ApplySpec : OpSpec
{
    /// <summary>Training updates carry no gradient.</summary>
    public override bool NotDifferentiable => true;

    /// <summary>Number of leading ref inputs (var and its slots).</summary>
    protected abstract int RefCount { get; }

    /// <summary>Index of the gradient input.</summary>
    protected abstract int GradIndex { get; }

    /// <summary>Index of the row-indices input of a SparseApply* op, or -1 for a dense op.</summary>
    protected virtual int IndicesIndex => -1;

    private bool IsSparse => IndicesIndex >= 0;

    /// <summary>Attrs besides T, Tindices and use_locking.</summary>
    protected virtual AttrSpec[] ExtraAttrs => [];

    public override IReadOnlyList<AttrSpec> Attrs => IsSparse
        ? [new("T", "type"), new("Tindices", "type"), new("use_locking", "bool", Attr.Bool(false)), .. ExtraAttrs]
        : [new("T", "type"), new("use_locking", "bool", Attr.Bool(false)), .. ExtraAttrs];

    public override bool IsStateful => true;

    /// <summary>The ResourceApply* form: the first <see cref="RefCount"/> inputs are resource-variable handles.</summary>
    protected virtual bool ResourceInputs => false;

    public override void Infer(InferContext c)
    {
        if (ResourceInputs)
        {
            InferResource(c);
            return;
        }
        c.RequireType(0, TypeSets.Float);
        var shape = c.InputShape(0);
        if (IsSparse) InferRows(c, shape);
        for (int i = 1; i < c.NumInputs; i++)
        {
            if (i == IndicesIndex || (IsSparse && i == GradIndex)) continue;
            c.RequireSameType(0, i);
            if (i < RefCount || i == GradIndex)
            {
                if (!shape.IsCompatibleWith(c.InputShape(i)))
                    throw c.Error($"Input {i} ('{c.Inputs[i].Name}') has shape {c.InputShape(i)} but the variable has shape {shape}");
                shape = shape.MergeWith(c.InputShape(i));
            }
            else if (c.InputShape(i).IsRankKnown && c.InputShape(i).Rank != 0)
                throw c.Error($"Input {i} ('{c.Inputs[i].Name}') must be a scalar, got shape {c.InputShape(i)}");
        }
        c.AddOutput(c.InputType(0), shape);
    }

    /// <summary>A sparse op's indices are a vector of int32/int64 as long as grad's first dimension; grad's other dimensions are the variable's.</summary>
    private void InferRows(InferContext c, Shape var)
    {
        c.RequireType(IndicesIndex, DType.Int32, DType.Int64);
        if (!ResourceInputs) c.RequireSameType(0, GradIndex);
        var idx = c.InputShape(IndicesIndex);
        var grad = c.InputShape(GradIndex);
        if (idx.IsRankKnown && idx.Rank != 1) throw c.Error($"indices must be one-dimensional, got shape {idx}");
        if (var.IsRankKnown && var.Rank == 0) throw c.Error("var must be at least 1 dimensional");
        if (grad.IsRankKnown && grad.Rank == 0) throw c.Error("grad must be at least 1 dimensional");
        if (idx.IsRankKnown && grad.IsRankKnown && idx[0] >= 0 && grad[0] >= 0 && idx[0] != grad[0])
            throw c.Error($"grad must be the same size as indices in the first dimension: grad {grad}, indices {idx}");
        if (var.IsRankKnown && grad.IsRankKnown)
        {
            if (var.Rank != grad.Rank) throw c.Error($"var and grad must have the same rank: var {var}, grad {grad}");
            for (int d = 1; d < var.Rank; d++)
            {
                if (var[d] >= 0 && grad[d] >= 0 && var[d] != grad[d]) throw c.Error($"var and grad must match in dimension {d}: var {var}, grad {grad}");
            }
        }
    }

    private void InferResource(InferContext c)
    {
        for (int i = 0; i < RefCount; i++) c.RequireType(i, DType.Resource);
        c.RequireType(GradIndex, TypeSets.Float);
        if (IsSparse) InferRows(c, Shape.Unknown);
        for (int i = RefCount; i < c.NumInputs; i++)
        {
            if (i == IndicesIndex) continue;
            if (c.InputType(i) != c.InputType(GradIndex))
                throw c.Error($"Input {i} ('{c.Inputs[i].Name}') is {c.InputType(i).Name()}, but the gradient is {c.InputType(GradIndex).Name()}");
            if (i != GradIndex && c.InputShape(i).IsRankKnown && c.InputShape(i).Rank != 0)
                throw c.Error($"Input {i} ('{c.Inputs[i].Name}') must be a scalar, got shape {c.InputShape(i)}");
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        if (ResourceInputs)
        {
            return b.InputType(GradIndex) == DType.Float32
                ? new ApplyKernel<float>(this, null, b.Op)
                : new ApplyKernel<double>(this, null, b.Op);
        }
        var slots = new VariableSlot[RefCount];
        for (int i = 0; i < slots.Length; i++) slots[i] = b.RefInput(i);
        return b.InputType(0) == DType.Float32
            ? new ApplyKernel<float>(this, slots, b.Op)
            : new ApplyKernel<double>(this, slots, b.Op);
    }

    /// <summary>
    /// Updates the variable and slots in place: <paramref name="refs"/>[0] is the variable, then the
    /// slots in input order; <paramref name="scalars"/> are the hyper-parameter inputs in order.
    /// </summary>
    internal abstract void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> scalars, Operation op) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Whether the dense update is element-wise (element i of var and slots depends only on element
    /// i of each of them and of grad), so <see cref="UpdateRange{T}"/> may run ranges of a large
    /// update on several cores at once with the same result bit for bit.
    /// </summary>
    internal virtual bool SplitsDense => false;

    /// <summary>
    /// <see cref="Update{T}"/> on elements [<paramref name="start"/>, + g.Length) only;
    /// <paramref name="g"/> is that range of the gradient. Required where <see cref="SplitsDense"/>.
    /// </summary>
    internal virtual void UpdateRange<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> scalars, Operation op, int start) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException($"{Type} does not update ranges");

    /// <summary>Dense updates split into parts so far (for tests).</summary>
    internal static long SplitUpdates;

    /// <summary>The kernel; <paramref name="fixedSlots"/> are the ref variables, or null when the handles are read on every run.</summary>
    private sealed class ApplyKernel<T>(ApplySpec spec, VariableSlot[]? fixedSlots, Operation op) : OpKernel, IParallelParts where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The split update in flight: its gradient and number of scalars.
        private Tensor? _grad;
        private int _scalarCount;

        private readonly T[] _scalars = new T[op.NumInputs];
        private readonly Tensor[] _values = new Tensor[spec.RefCount];
        private readonly VariableSlot[] _slots = fixedSlots ?? new VariableSlot[spec.RefCount];
        private VariableSlot[] _lockOrder = fixedSlots is null ? [] : VariableSlot.InLockOrder(fixedSlots);
        private readonly string[] _inputNames = InputNames(op);

        public override OutputKind GetOutputKind(int output) => OutputKind.External;

        private static string[] InputNames(Operation op)
        {
            var names = new string[op.NumInputs];
            for (int i = 0; i < names.Length; i++) names[i] = $"input {i} ('{op.Inputs[i].Name}')";
            return names;
        }

        /// <summary>Resolves the resource handles of this run (ResourceApply* ops).</summary>
        private void ResolveHandles(OpContext ctx)
        {
            bool changed = false;
            for (int i = 0; i < _slots.Length; i++)
            {
                var slot = VariableSlot.FromHandle(ctx.Input(i), _inputNames[i]);
                changed |= !ReferenceEquals(_slots[i], slot);
                _slots[i] = slot;
            }
            if (changed || _lockOrder.Length == 0) _lockOrder = VariableSlot.InLockOrder(_slots);
        }

        public override void Compute(OpContext ctx)
        {
            if (fixedSlots is null) ResolveHandles(ctx);
            var slots = _slots;
            var grad = ctx.Input(spec.GradIndex);
            int k = 0;
            for (int i = slots.Length; i < ctx.NumInputs; i++)
            {
                if (i == spec.GradIndex || i == spec.IndicesIndex) continue;
                _scalars[k++] = ctx.Input(i).ScalarValue<T>(_inputNames[i]);
            }
            // Every variable updated here (var and its slots) is locked, always in the same global
            // order, so concurrent updates of shared slots neither interleave nor deadlock.
            int held = 0;
            try
            {
                for (; held < _lockOrder.Length; held++) _lockOrder[held].Sync.Enter();
                for (int i = 0; i < slots.Length; i++)
                {
                    var v = slots[i].Value ?? throw new FailedPreconditionException(fixedSlots is null
                        ? $"Error while reading resource variable {slots[i].Op.Name}: it is uninitialized"
                        : $"Attempting to use uninitialized value {slots[i].Op.Name}");
                    if (v.DType != grad.DType)
                        throw new InvalidArgumentException($"{slots[i].Op.Name} is {v.DType.Name()} but grad is {grad.DType.Name()}");
                    var expected = spec.IsSparse ? (i == 0 ? v.Dims : _values[0].Dims) : grad.Dims;
                    if (!v.Dims.SequenceEqual(expected))
                        throw new InvalidArgumentException(spec.IsSparse
                            ? $"{slots[0].Op.Name} and {slots[i].Op.Name} do not have the same shape: {Shape.Format(_values[0].Dims)} vs {Shape.Format(v.Dims)}"
                            : $"{slots[i].Op.Name} and grad do not have the same shape: {Shape.Format(v.Dims)} vs {Shape.Format(grad.Dims)}");
                    _values[i] = v;
                }
                if (spec.IsSparse) UpdateRows(ctx.Input(spec.IndicesIndex), grad, _scalars.AsSpan(0, k));
                else if (spec.SplitsDense && ElementwiseParts.For(grad.Size) is var parts and > 1) UpdateInParts(grad, k, parts);
                else spec.Update(_values, grad.Span<T>(), _scalars.AsSpan(0, k), op);
                if (fixedSlots is not null) ctx.SetOutput(0, _values[0]);
            }
            finally
            {
                Array.Clear(_values);
                while (held > 0) _lockOrder[--held].Sync.Exit();
            }
        }

        /// <summary>A large dense update split into aligned ranges (<see cref="ElementwiseParts"/>) run on the GEMM pool.</summary>
        private void UpdateInParts(Tensor grad, int scalarCount, int parts)
        {
            (_grad, _scalarCount) = (grad, scalarCount);
            Interlocked.Increment(ref SplitUpdates);
            try
            {
                ParallelParts.Run(this, parts);
            }
            finally
            {
                _grad = null;
            }
        }

        /// <summary>One range of the split update.</summary>
        public void RunPart(int part, int parts)
        {
            var grad = _grad!;
            var (start, count) = ElementwiseParts.Range(grad.Size, part, parts);
            if (count > 0) spec.UpdateRange(_values, grad.Span<T>().Slice(start, count), _scalars.AsSpan(0, _scalarCount), op, start);
        }

        private Tensor[] _rows = [];

        /// <summary>
        /// A SparseApply* step: checks the indices against the variable, then runs the dense update
        /// on each row in turn (copied into row buffers and back), so repeated indices apply in order.
        /// </summary>
        private void UpdateRows(Tensor indices, Tensor grad, ReadOnlySpan<T> scalars)
        {
            var var = _values[0];
            if (var.Rank == 0) throw new InvalidArgumentException($"var must be at least 1 dimensional, {_slots[0].Op.Name} is a scalar");
            if (indices.Rank != 1) throw new InvalidArgumentException($"indices must be one-dimensional, got shape {Shape.Format(indices.Dims)}");
            if (grad.Rank != var.Rank)
                throw new InvalidArgumentException($"var and grad do not have the same rank: {Shape.Format(var.Dims)} vs {Shape.Format(grad.Dims)}");
            for (int d = 1; d < var.Rank; d++)
            {
                if (var.Dims[d] != grad.Dims[d])
                    throw new InvalidArgumentException($"var and grad must match in dimension {d}: {Shape.Format(var.Dims)} vs {Shape.Format(grad.Dims)}");
            }
            int n = indices.Size, rows = var.Dims[0];
            if (grad.Dims[0] != n)
                throw new InvalidArgumentException($"grad must be the same size as indices in the first dimension: grad {Shape.Format(grad.Dims)}, indices {Shape.Format(indices.Dims)}");
            for (int i = 0; i < n; i++)
            {
                long index = indices.GetInt64(i);
                if (index < 0 || index >= rows) throw new InvalidArgumentException($"Index {index} at offset {i} in indices is out of range");
            }
            if (n == 0) return;
            int width = var.Size / rows;
            if (_rows.Length != _values.Length || _rows[0].Size != width)
            {
                _rows = new Tensor[_values.Length];
                for (int r = 0; r < _rows.Length; r++) _rows[r] = Tensor.Zeros(var.DType, width);
            }
            var g = grad.Span<T>();
            for (int i = 0; i < n; i++)
            {
                int start = (int)indices.GetInt64(i) * width;
                for (int r = 0; r < _rows.Length; r++) _values[r].Span<T>().Slice(start, width).CopyTo(_rows[r].Span<T>());
                spec.Update(_rows, g.Slice(i * width, width), scalars, op);
                for (int r = 0; r < _rows.Length; r++) _rows[r].Span<T>().CopyTo(_values[r].Span<T>().Slice(start, width));
            }
        }
    }
}
