using System.Numerics;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Shared schema of TF's Apply* training ops: the first <see cref="RefCount"/> inputs are variable
/// references updated in place (var first), the others are values; scalar hyper-parameters must be
/// rank 0 and the gradient must have the variable's shape. Output 0 is the updated var reference.
/// The kernel holds the locks of all its ref variables while it updates them. The ResourceApply*
/// versions (<see cref="ResourceInputs"/>) take resource-variable handles instead, resolved on
/// every run, and have no output.
/// </summary>
internal abstract class ApplySpec : OpSpec
{
    /// <summary>Training updates carry no gradient.</summary>
    public override bool NotDifferentiable => true;

    /// <summary>Number of leading ref inputs (var and its slots).</summary>
    protected abstract int RefCount { get; }

    /// <summary>Index of the gradient input.</summary>
    protected abstract int GradIndex { get; }

    /// <summary>Attrs besides T and use_locking.</summary>
    protected virtual AttrSpec[] ExtraAttrs => [];

    public override IReadOnlyList<AttrSpec> Attrs => [new("T", "type"), new("use_locking", "bool", Attr.Bool(false)), .. ExtraAttrs];

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
        for (int i = 1; i < c.NumInputs; i++)
        {
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

    private void InferResource(InferContext c)
    {
        for (int i = 0; i < RefCount; i++) c.RequireType(i, DType.Resource);
        c.RequireType(GradIndex, TypeSets.Float);
        for (int i = RefCount; i < c.NumInputs; i++)
        {
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

    /// <summary>The kernel; <paramref name="fixedSlots"/> are the ref variables, or null when the handles are read on every run.</summary>
    private sealed class ApplyKernel<T>(ApplySpec spec, VariableSlot[]? fixedSlots, Operation op) : OpKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
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
                var h = ctx.Input(i);
                var slot = h.DType == DType.Resource && h.Size == 1 && h.Data.GetValue(0) is VariableSlot v
                    ? v : throw new InvalidArgumentException($"{_inputNames[i]} is not a resource variable handle");
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
                if (i == spec.GradIndex) continue;
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
                    if (!v.Dims.SequenceEqual(grad.Dims))
                        throw new InvalidArgumentException($"{slots[i].Op.Name} and grad do not have the same shape: {Shape.Format(v.Dims)} vs {Shape.Format(grad.Dims)}");
                    _values[i] = v;
                }
                spec.Update(_values, grad.Span<T>(), _scalars.AsSpan(0, k), op);
                if (fixedSlots is not null) ctx.SetOutput(0, _values[0]);
            }
            finally
            {
                Array.Clear(_values);
                while (held > 0) _lockOrder[--held].Sync.Exit();
            }
        }
    }
}
