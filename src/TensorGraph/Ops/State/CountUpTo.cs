using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// CountUpTo: increments a scalar integer variable and outputs its value before the increment,
/// until it reaches <c>limit</c>; from then on every run is OutOfRange "Reached limit of N" (TF's
/// count_up_to_op.cc). <c>limit_epochs</c> counts input epochs with it.
/// </summary>
internal sealed class CountUpToSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("limit", "int"), new("T", "type", AllowedTypes: [DType.Int32, DType.Int64])];

    public const string OpType = "CountUpTo";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["ref: Ref(T)"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {s.Rank}");
        c.AddOutput(c.InputType(0), Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var slot = b.RefInput(0);
        long limit = b.Op.GetAttrInt("limit");
        return new LambdaKernel(ctx =>
        {
            lock (slot.Sync)
            {
                var cur = slot.Value ?? throw new FailedPreconditionException($"Attempting to use uninitialized value {slot.Op.Name}");
                if (cur.Rank != 0) throw new InvalidArgumentException($"input is not a scalar: {Shape.Format(cur.Dims)}");
                var o = ctx.AllocateOutput(0, cur.DType, []);
                if (cur.DType == DType.Int32)
                {
                    ref int v = ref cur.Span<int>()[0];
                    if (v >= limit) throw new OutOfRangeException($"Reached limit of {limit}");
                    o.Span<int>()[0] = v++;
                }
                else
                {
                    ref long v = ref cur.Span<long>()[0];
                    if (v >= limit) throw new OutOfRangeException($"Reached limit of {limit}");
                    o.Span<long>()[0] = v++;
                }
            }
        });
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.count_up_to(ref, limit)</c>: increments the int32/int64 scalar variable <paramref name="variable"/>, returning the old value; OutOfRange once it reaches <paramref name="limit"/>.</summary>
    public Output CountUpTo(Variable variable, long limit, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return AddOp(CountUpToSpec.OpType, [variable.Ref], name, attrs: [new("limit", Attr.Int(limit)), new("T", Attr.Type(variable.DType))])[0];
    }
}
