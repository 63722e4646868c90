using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>AssignAdd / AssignSub: in-place ref += value / ref -= value (same shapes, no broadcasting).</summary>
internal abstract class AssignUpdateSpec : OpSpec
{
    /// <summary>AssignAdd and AssignSub carry no gradient.</summary>
    public override bool NotDifferentiable => true;

    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("use_locking", "bool", Attr.Bool(false))];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["ref: Ref(T)", "value: T"];

    protected override string[] OutputArgs => ["output_ref: Ref(T)"];

    public override bool IsStateful => true;

    protected abstract bool Subtract { get; }

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, TypeSets.Real);
        if (!c.InputShape(0).IsCompatibleWith(c.InputShape(1)))
            throw c.Error($"Shapes must be equal: the variable has shape {c.InputShape(0)} but the value has shape {c.InputShape(1)}");
        c.AddOutput(c.InputType(0), c.InputShape(0).MergeWith(c.InputShape(1)));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new UpdateKernel(b.RefInput(0), Subtract);

    private sealed class UpdateKernel(VariableSlot slot, bool subtract) : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.External;

        public override void Compute(OpContext ctx)
        {
            var v = ctx.Input(1);
            lock (slot.Sync)
            {
                var cur = slot.Value ?? throw new FailedPreconditionException($"Attempting to use uninitialized value {slot.Op.Name}");
                if (!cur.Dims.SequenceEqual(v.Dims))
                    throw new InvalidArgumentException($"Shapes must match: variable {slot.Op.Name} has shape {Shape.Format(cur.Dims)}, the value has shape {Shape.Format(v.Dims)}");
                switch (cur.DType)
                {
                    case DType.Float32: Apply(cur.Span<float>(), v.Span<float>(), subtract); break;
                    case DType.Float64: Apply(cur.Span<double>(), v.Span<double>(), subtract); break;
                    case DType.Int32: Apply(cur.Span<int>(), v.Span<int>(), subtract); break;
                    case DType.Int64: Apply(cur.Span<long>(), v.Span<long>(), subtract); break;
                    case DType.Int16: Apply(cur.Span<short>(), v.Span<short>(), subtract); break;
                    case DType.Int8: Apply(cur.Span<sbyte>(), v.Span<sbyte>(), subtract); break;
                    case DType.UInt8: Apply(cur.Span<byte>(), v.Span<byte>(), subtract); break;
                    case DType.UInt16: Apply(cur.Span<ushort>(), v.Span<ushort>(), subtract); break;
                    default: throw new UnimplementedException($"No kernel for dtype {cur.DType.Name()}");
                }
                ctx.SetOutput(0, cur);
            }
        }

        private static void Apply<T>(Span<T> r, ReadOnlySpan<T> v, bool subtract) where T : INumber<T>
        {
            if (subtract) TensorPrimitives.Subtract(r, v, r);
            else TensorPrimitives.Add(r, v, r);
        }
    }
}

/// <summary>AssignAdd: ref += value.</summary>
internal sealed class AssignAddSpec : AssignUpdateSpec
{
    public const string OpType = "AssignAdd";

    public override string Type => OpType;

    protected override bool Subtract => false;
}

/// <summary>AssignSub: ref -= value.</summary>
internal sealed class AssignSubSpec : AssignUpdateSpec
{
    public const string OpType = "AssignSub";

    public override string Type => OpType;

    protected override bool Subtract => true;
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.assign_add</c>: variable += value; the result reads the new value.</summary>
    public Output AssignAdd(Variable variable, Output value, bool useLocking = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return AddOp(AssignAddSpec.OpType, [variable.Ref, value], name, attrs: [NamedAttr("T", Attr.Type(variable.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];
    }

    /// <summary>TF's <c>tf.assign_sub</c>: variable -= value; the result reads the new value.</summary>
    public Output AssignSub(Variable variable, Output value, bool useLocking = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return AddOp(AssignSubSpec.OpType, [variable.Ref, value], name, attrs: [NamedAttr("T", Attr.Type(variable.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];
    }
}
