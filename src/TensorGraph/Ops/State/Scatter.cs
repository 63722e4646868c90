using System.Numerics;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ScatterUpdate / ScatterAdd / ScatterSub: in-place updates of rows of a variable,
/// <c>ref[indices[i], ...] (=, +=, -=) updates[i, ...]</c>, where <c>updates.shape = indices.shape
/// + ref.shape[1:]</c>. Duplicate indices accumulate for add/sub; for update the last one wins.
/// </summary>
internal abstract class ScatterSpec : OpSpec
{
    /// <summary>The scatter updates carry no gradient.</summary>
    public override bool NotDifferentiable => true;

    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("Tindices", "type"), new("use_locking", "bool", Attr.Bool(true))];

    private static readonly IReadOnlyList<AttrSpec> AttrListNoLock =
        [new("T", "type"), new("Tindices", "type"), new("use_locking", "bool", Attr.Bool(false))];

    private static readonly IReadOnlyList<AttrSpec> ResourceAttrList = [new("dtype", "type"), new("Tindices", "type")];

    public override IReadOnlyList<AttrSpec> Attrs => Resource ? ResourceAttrList : Mode == ScatterMode.Update ? AttrList : AttrListNoLock;

    protected override string[] InputArgs => Resource ? ["resource: resource", "indices: Tindices", "updates: dtype"] : ["ref: Ref(T)", "indices: Tindices", "updates: T"];

    protected override string[] OutputArgs => Resource ? [] : ["output_ref: Ref(T)"];

    /// <summary>The ResourceScatter* form: input 0 is a resource-variable handle (resolved on every run) and there is no output.</summary>
    protected virtual bool Resource => false;

    public override bool IsStateful => true;

    protected abstract ScatterMode Mode { get; }

    public override void Infer(InferContext c)
    {
        c.RequireType(1, DType.Int32, DType.Int64);
        Shape r;
        if (Resource)
        {
            c.RequireType(0, DType.Resource);
            var dtype = c.AttrType("dtype");
            if (c.InputType(2) != dtype) throw c.Error($"updates are {c.InputType(2).Name()} but dtype is {dtype.Name()}");
            if (Mode != ScatterMode.Update) c.RequireType(2, TypeSets.Real);
            r = VariableHandles.DeclaredShape(c.Inputs[0]);
        }
        else
        {
            if (Mode == ScatterMode.Update) c.RequireSameType(0, 2);
            else
            {
                c.RequireType(0, TypeSets.Real);
                c.RequireSameType(0, 2);
            }
            r = c.InputShape(0);
        }
        var idx = c.InputShape(1);
        var upd = c.InputShape(2);
        if (r.IsRankKnown && r.Rank == 0) throw c.Error("Expected ref to have rank >= 1, got a scalar");
        if (r.IsRankKnown && idx.IsRankKnown && upd.IsRankKnown)
        {
            var expected = new Shape([.. idx.ToArray(), .. r.ToArray()[1..]]);
            if (!(upd.IsRankKnown && upd.Rank == 0) && !upd.IsCompatibleWith(expected))
                throw c.Error($"Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got updates.shape {upd}, indices.shape {idx}, params.shape {r}");
        }
        if (!Resource) c.AddOutput(c.InputType(0), r);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new ScatterKernel(Resource ? null : b.RefInput(0), Mode);

    /// <summary>The kernel; <paramref name="fixedSlot"/> is the ref variable, or null when the handle is read on every run.</summary>
    private sealed class ScatterKernel(VariableSlot? fixedSlot, ScatterMode mode) : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.External;

        public override void Compute(OpContext ctx)
        {
            var indices = ctx.Input(1);
            var updates = ctx.Input(2);
            var slot = fixedSlot ?? VariableSlot.FromHandle(ctx.Input(0), "input 0 ('resource')");
            lock (slot.Sync)
            {
                var cur = fixedSlot is null ? slot.ValueOrThrow() : slot.Value ?? throw new FailedPreconditionException($"Attempting to use uninitialized value {slot.Op.Name}");
                if (cur.DType != updates.DType) throw new InvalidArgumentException($"Variable {slot.Op.Name} is {cur.DType.Name()} but the updates are {updates.DType.Name()}");
                if (cur.Rank == 0) throw new InvalidArgumentException($"Variable {slot.Op.Name} is a scalar; scatter needs rank >= 1");
                int rows = cur.Dims[0];
                int row = rows == 0 ? 0 : cur.Size / rows;
                int n = indices.Size;
                var expected = new int[indices.Rank + cur.Rank - 1];
                indices.Dims.CopyTo(expected);
                cur.Dims[1..].CopyTo(expected.AsSpan(indices.Rank));
                bool scalar = updates.Rank == 0;
                if (!scalar && !updates.Dims.SequenceEqual(expected))
                    throw new InvalidArgumentException(
                        $"Must have updates.shape = indices.shape + params.shape[1:], got updates.shape {Shape.Format(updates.Dims)}, indices.shape {Shape.Format(indices.Dims)}, params.shape {Shape.Format(cur.Dims)}");
                for (int i = 0; i < n; i++)
                {
                    long k = indices.GetInt64(i);
                    if (k < 0 || k >= rows) throw new InvalidArgumentException($"indices[{i}] = {k} is not in [0, {rows})");
                }
                switch (cur.DType)
                {
                    case DType.Float32: Apply(cur.Span<float>(), indices, updates.Span<float>(), row, scalar, mode); break;
                    case DType.Float64: Apply(cur.Span<double>(), indices, updates.Span<double>(), row, scalar, mode); break;
                    case DType.Int32: Apply(cur.Span<int>(), indices, updates.Span<int>(), row, scalar, mode); break;
                    case DType.Int64: Apply(cur.Span<long>(), indices, updates.Span<long>(), row, scalar, mode); break;
                    default:
                        if (mode != ScatterMode.Update) throw new UnimplementedException($"No scatter kernel for dtype {cur.DType.Name()}");
                        for (int i = 0; i < n; i++)
                        {
                            long dst = indices.GetInt64(i) * row;
                            if (scalar) for (int j = 0; j < row; j++) Array.Copy(updates.Data, 0, cur.Data, dst + j, 1);
                            else Array.Copy(updates.Data, i * row, cur.Data, dst, row);
                        }
                        break;
                }
                if (fixedSlot is not null) ctx.SetOutput(0, cur);
            }
        }

        private static void Apply<T>(Span<T> r, Tensor indices, ReadOnlySpan<T> u, int row, bool scalar, ScatterMode mode) where T : INumber<T>
        {
            for (int i = 0; i < indices.Size; i++)
            {
                var dst = r.Slice((int)indices.GetInt64(i) * row, row);
                if (scalar)
                {
                    T v = u[0];
                    switch (mode)
                    {
                        case ScatterMode.Update: dst.Fill(v); break;
                        case ScatterMode.Add: System.Numerics.Tensors.TensorPrimitives.Add(dst, v, dst); break;
                        default: System.Numerics.Tensors.TensorPrimitives.Subtract(dst, v, dst); break;
                    }
                    continue;
                }
                var src = u.Slice(i * row, row);
                switch (mode)
                {
                    case ScatterMode.Update: src.CopyTo(dst); break;
                    case ScatterMode.Add: System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst); break;
                    default: System.Numerics.Tensors.TensorPrimitives.Subtract(dst, src, dst); break;
                }
            }
        }
    }
}

internal enum ScatterMode
{
    Update,
    Add,
    Sub,
}

/// <summary>ScatterUpdate: <c>ref[indices] = updates</c>.</summary>
internal sealed class ScatterUpdateSpec : ScatterSpec
{
    public const string OpType = "ScatterUpdate";

    public override string Type => OpType;

    protected override ScatterMode Mode => ScatterMode.Update;
}

/// <summary>ScatterAdd: <c>ref[indices] += updates</c>.</summary>
internal sealed class ScatterAddSpec : ScatterSpec
{
    public const string OpType = "ScatterAdd";

    public override string Type => OpType;

    protected override ScatterMode Mode => ScatterMode.Add;
}

/// <summary>ScatterSub: <c>ref[indices] -= updates</c>.</summary>
internal sealed class ScatterSubSpec : ScatterSpec
{
    public const string OpType = "ScatterSub";

    public override string Type => OpType;

    protected override ScatterMode Mode => ScatterMode.Sub;
}

/// <summary>ResourceScatterUpdate: <c>resource[indices] = updates</c> on a resource variable; no output.</summary>
internal sealed class ResourceScatterUpdateSpec : ScatterSpec
{
    public const string OpType = "ResourceScatterUpdate";

    public override string Type => OpType;

    protected override ScatterMode Mode => ScatterMode.Update;

    protected override bool Resource => true;
}

/// <summary>ResourceScatterAdd: <c>resource[indices] += updates</c> (duplicates accumulate); no output.</summary>
internal sealed class ResourceScatterAddSpec : ScatterSpec
{
    public const string OpType = "ResourceScatterAdd";

    public override string Type => OpType;

    protected override ScatterMode Mode => ScatterMode.Add;

    protected override bool Resource => true;
}

/// <summary>ResourceScatterSub: <c>resource[indices] -= updates</c>; no output.</summary>
internal sealed class ResourceScatterSubSpec : ScatterSpec
{
    public const string OpType = "ResourceScatterSub";

    public override string Type => OpType;

    protected override ScatterMode Mode => ScatterMode.Sub;

    protected override bool Resource => true;
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.scatter_update</c>: sets rows <paramref name="indices"/> of the variable; the result reads the variable.</summary>
    public Output ScatterUpdate(Variable variable, Output indices, Output updates, bool useLocking = true, string? name = null) =>
        Scatter(ScatterUpdateSpec.OpType, variable, indices, updates, useLocking, name);

    /// <summary>TF's <c>tf.scatter_add</c>: adds <paramref name="updates"/> to rows <paramref name="indices"/> (duplicates accumulate).</summary>
    public Output ScatterAdd(Variable variable, Output indices, Output updates, bool useLocking = false, string? name = null) =>
        Scatter(ScatterAddSpec.OpType, variable, indices, updates, useLocking, name);

    /// <summary>TF's <c>tf.scatter_sub</c>: subtracts <paramref name="updates"/> from rows <paramref name="indices"/>.</summary>
    public Output ScatterSub(Variable variable, Output indices, Output updates, bool useLocking = false, string? name = null) =>
        Scatter(ScatterSubSpec.OpType, variable, indices, updates, useLocking, name);

    private Output Scatter(string type, Variable variable, Output indices, Output updates, bool useLocking, string? name)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return AddOp(type, [variable.Ref, indices, updates], name, attrs:
            [NamedAttr("T", Attr.Type(variable.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];
    }

    /// <summary>A <c>ResourceScatterUpdate</c> node: sets rows <paramref name="indices"/> of the resource variable.</summary>
    public Operation ResourceScatterUpdate(Output resource, Output indices, Output updates, string? name = null) =>
        ResourceScatter(ResourceScatterUpdateSpec.OpType, resource, indices, updates, name);

    /// <summary>A <c>ResourceScatterAdd</c> node: adds <paramref name="updates"/> to rows <paramref name="indices"/> (duplicates accumulate).</summary>
    public Operation ResourceScatterAdd(Output resource, Output indices, Output updates, string? name = null) =>
        ResourceScatter(ResourceScatterAddSpec.OpType, resource, indices, updates, name);

    /// <summary>A <c>ResourceScatterSub</c> node: subtracts <paramref name="updates"/> from rows <paramref name="indices"/>.</summary>
    public Operation ResourceScatterSub(Output resource, Output indices, Output updates, string? name = null) =>
        ResourceScatter(ResourceScatterSubSpec.OpType, resource, indices, updates, name);

    private Operation ResourceScatter(string type, Output resource, Output indices, Output updates, string? name) =>
        AddOp(type, [resource, indices, updates], name, attrs: [NamedAttr("dtype", Attr.Type(updates.DType)), NamedAttr("Tindices", Attr.Type(indices.DType))]);
}
