using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// BroadcastGradientArgs: for shapes s0 and s1, the axes of the broadcast result along which each
/// input was broadcast (the axes to sum its gradient over).
/// </summary>
internal sealed class BroadcastGradientArgsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type", Attr.Type(DType.Int32))];

    public const string OpType = "BroadcastGradientArgs";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["s0: T", "s1: T"];

    protected override string[] OutputArgs => ["r0: T", "r1: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Int);
        c.RequireSameType(0, 1);
        c.AddOutput(c.InputType(0), new Shape(-1));
        c.AddOutput(c.InputType(0), new Shape(-1));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var a = ctx.Input(0);
        var s = ctx.Input(1);
        int rank = Math.Max(a.ShapeVectorLength("s0"), s.ShapeVectorLength("s1"));
        Span<int> r0 = stackalloc int[rank];
        Span<int> r1 = stackalloc int[rank];
        int n0 = 0, n1 = 0;
        for (int i = 0; i < rank; i++)
        {
            int ia = i - (rank - a.Size), ib = i - (rank - s.Size);
            long da = ia >= 0 ? a.GetInt64(ia) : 1;
            long db = ib >= 0 ? s.GetInt64(ib) : 1;
            if (da != db && da != 1 && db != 1)
                throw new InvalidArgumentException($"Incompatible shapes: [{Dims(a)}] vs. [{Dims(s)}]");
            // An axis where an input has size 1 (or is missing) was broadcast: sum its gradient there.
            if (da == 1) r0[n0++] = i;
            if (db == 1) r1[n1++] = i;
        }
        Write(ctx, 0, a.DType, r0[..n0]);
        Write(ctx, 1, a.DType, r1[..n1]);
    });

    private static string Dims(Tensor t) => string.Join(",", Enumerable.Range(0, t.Size).Select(t.GetInt64));

    private static void Write(OpContext ctx, int output, DType dt, ReadOnlySpan<int> axes)
    {
        Span<int> d = [axes.Length];
        var o = ctx.AllocateOutput(output, dt, d);
        if (dt == DType.Int32) axes.CopyTo(o.Span<int>());
        else for (int i = 0; i < axes.Length; i++) o.Span<long>()[i] = axes[i];
    }
}

public sealed partial class Graph
{
    /// <summary>The two outputs of BroadcastGradientArgs.</summary>
    public readonly record struct BroadcastAxes(Output R0, Output R1);

    /// <summary>A <c>BroadcastGradientArgs</c> node: the reduction axes for each of two broadcast operands.</summary>
    public BroadcastAxes BroadcastGradientArgs(Output s0, Output s1, string? name = null)
    {
        var op = AddOp(BroadcastGradientArgsSpec.OpType, [s0, s1], name, attrs: [NamedAttr("T", Attr.Type(s0.DType))]);
        return new BroadcastAxes(op[0], op[1]);
    }
}
