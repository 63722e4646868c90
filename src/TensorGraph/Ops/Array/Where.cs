using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Where (<c>tf.where(condition)</c>): the int64 coordinates [num_true, rank] of the true (non-zero) elements, row-major.</summary>
internal sealed class WhereSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type", Attr.Type(DType.Bool))];

    private static readonly DType[] Allowed = [DType.Bool, .. TypeSets.Real];

    public const string OpType = "Where";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["index: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, Allowed);
        var s = c.InputShape(0);
        c.AddOutput(DType.Int64, new Shape(-1, s.Rank));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(WhereKernel<>), b.InputType(0));

    private sealed class WhereKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var src = x.Span<T>();
            var cmp = EqualityComparer<T>.Default;
            int count = 0;
            for (int i = 0; i < src.Length; i++) if (!cmp.Equals(src[i], default!)) count++;
            int rank = x.Rank;
            Span<int> od = [count, rank];
            var dst = ctx.AllocateOutput(0, DType.Int64, od).Span<long>();
            if (count == 0) return;
            Span<int> idx = stackalloc int[rank];
            idx.Clear();
            int row = 0;
            for (int i = 0; i < src.Length; i++)
            {
                if (!cmp.Equals(src[i], default!))
                {
                    for (int d = 0; d < rank; d++) dst[row * rank + d] = idx[d];
                    row++;
                }
                for (int d = rank - 1; d >= 0; d--)
                {
                    if (++idx[d] < x.Dims[d]) break;
                    idx[d] = 0;
                }
            }
        }
    }
}

/// <summary>SelectV2 (<c>tf.where_v2</c>): condition, t and e broadcast against each other.</summary>
internal sealed class SelectV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "SelectV2";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SelectGradV2</c>: SelectV2 with zeros, summed over the broadcast axes of each operand.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var cond = c.Input(0);
        var grad = c.Grad;
        var zeros = g.Constant(Graph.ScalarOf(grad.DType, 0));
        var outputShape = g.ShapeOf(c.Out());
        Output Reduce(Output operand, Output selected)
        {
            var shape = g.ShapeOf(operand);
            var args = g.BroadcastGradientArgs(shape, outputShape);
            return g.Reshape(g.Reduce(SumSpec.OpType, selected, args.R0, keepDims: true), shape);
        }
        var gx = Reduce(c.Input(1), g.SelectV2(cond, grad, zeros));
        var gy = Reduce(c.Input(2), g.SelectV2(cond, zeros, grad));
        return [null, gx, gy];
    }

    protected override string[] InputArgs => ["condition: bool", "t: T", "e: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Bool);
        c.RequireSameType(1, 2);
        var te = Broadcast.StaticShape(c.InputShape(1), c.InputShape(2), Type);
        c.AddOutput(c.InputType(1), Broadcast.StaticShape(c.InputShape(0), te, Type));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(SelectV2Kernel<>), b.InputType(1));

    private sealed class SelectV2Kernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var cond = ctx.Input(0);
            var t = ctx.Input(1);
            var e = ctx.Input(2);
            int rank = Math.Max(cond.Rank, Math.Max(t.Rank, e.Rank));
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"SelectV2 of rank {rank} is not supported");
            Span<int> te = stackalloc int[Math.Max(t.Rank, e.Rank)];
            Broadcast.Dims(t.Dims, e.Dims, te);
            Span<int> od = stackalloc int[rank];
            Broadcast.Dims(cond.Dims, te, od);
            var o = ctx.AllocateOutput(0, t.DType, od);
            var c = cond.Span<bool>();
            var a = t.Span<T>();
            var b = e.Span<T>();
            var d = o.Span<T>();
            int n = d.Length;
            if (n == 0) return;
            if (cond.Size == n && a.Length == n && b.Length == n)
            {
                for (int i = 0; i < n; i++) d[i] = c[i] ? a[i] : b[i];
                return;
            }
            if (cond.Size == 1 && (c[0] ? a.Length : b.Length) == n)
            {
                (c[0] ? a : b).CopyTo(d);
                return;
            }
            Span<int> cs = stackalloc int[rank];
            Span<int> ts = stackalloc int[rank];
            Span<int> es = stackalloc int[rank];
            Broadcast.Strides(cond.Dims, od, cs);
            Broadcast.Strides(t.Dims, od, ts);
            Broadcast.Strides(e.Dims, od, es);
            Span<int> idx = stackalloc int[rank];
            idx.Clear();
            int inner = od[rank - 1];
            int ci = 0, ti = 0, ei = 0, k = 0;
            int cIn = cs[rank - 1], tIn = ts[rank - 1], eIn = es[rank - 1];
            for (int o2 = 0; o2 < n / inner; o2++)
            {
                for (int j = 0; j < inner; j++) d[k++] = c[ci + j * cIn] ? a[ti + j * tIn] : b[ei + j * eIn];
                for (int dd = rank - 2; dd >= 0; dd--)
                {
                    ci += cs[dd]; ti += ts[dd]; ei += es[dd];
                    if (++idx[dd] < od[dd]) break;
                    idx[dd] = 0;
                    ci -= cs[dd] * od[dd]; ti -= ts[dd] * od[dd]; ei -= es[dd] * od[dd];
                }
            }
        }
    }
}

/// <summary>BroadcastTo: the input broadcast (numpy rules, one direction) to <c>shape</c>.</summary>
internal sealed class BroadcastToSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Tidx", "type", Attr.Type(DType.Int32))];

    public const string OpType = "BroadcastTo";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_BroadcastToGrad</c>: the gradient summed over the broadcast axes.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var broadcastShape = c.Input(1);
        var inputShape = g.ShapeOf(c.X, broadcastShape.DType);
        var args = g.BroadcastGradientArgs(broadcastShape, inputShape);
        var summed = g.Reduce(SumSpec.OpType, c.Grad, args.R1, keepDims: true);
        return [g.Reshape(summed, inputShape), null];
    }

    protected override string[] InputArgs => ["input: T", "shape: Tidx"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var ss = c.InputShape(1);
        if (ss.IsRankKnown && ss.Rank != 1) throw c.Error($"shape must be a vector, got shape {ss}");
        if (c.ConstantInput(1) is not { } shapeT)
        {
            c.AddOutput(c.InputType(0), ss.IsRankKnown && ss[0] >= 0 ? Shape.UnknownOfRank(ss[0]) : Shape.Unknown);
            return;
        }
        var d = new int[shapeT.Size];
        shapeT.ReadDimensions(d, "shape");
        var input = c.InputShape(0);
        if (input.IsRankKnown)
        {
            bool ok = input.Rank <= d.Length;
            for (int i = 0; ok && i < input.Rank; i++)
            {
                int a = input[i], b = d[d.Length - input.Rank + i];
                ok = a < 0 || a == 1 || a == b;
            }
            if (!ok) throw c.Error($"Unable to broadcast tensor of shape {input} to tensor of shape {Shape.FromSpan(d)}");
        }
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(BroadcastToKernel<>), b.InputType(0));

    private sealed class BroadcastToKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var shapeT = ctx.Input(1);
            int rank = shapeT.Size;
            if (shapeT.Rank != 1) throw new InvalidArgumentException($"shape must be a vector, got shape {Shape.Format(shapeT.Dims)}");
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"BroadcastTo of rank {rank} is not supported");
            Span<int> od = stackalloc int[rank];
            shapeT.ReadDimensions(od, "shape");
            bool ok = x.Rank <= rank;
            for (int i = 0; ok && i < x.Rank; i++)
            {
                int a = x.Dims[i], b = od[rank - x.Rank + i];
                ok = a == 1 || a == b;
            }
            if (!ok) throw new InvalidArgumentException($"Unable to broadcast tensor of shape {Shape.Format(x.Dims)} to tensor of shape {Shape.Format(od)}");
            var o = ctx.AllocateOutput(0, x.DType, od);
            Span<int> ss = stackalloc int[rank];
            Span<int> ds = stackalloc int[rank];
            Broadcast.Strides(x.Dims, od, ss);
            ArrayCopy.RowMajorStrides(od, ds);
            ArrayCopy.Strided<T>(x.Span<T>(), 0, ss, o.Span<T>(), 0, ds, od);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.where(condition)</c>: a Where node giving the int64 coordinates of the true elements.</summary>
    public Output Where(Output condition, string? name = null) =>
        AddOp(WhereSpec.OpType, [condition], name, attrs: [NamedAttr("T", Attr.Type(condition.DType))])[0];

    /// <summary>TF1's <c>tf.where(condition, x, y)</c>: a Select node (no broadcasting; see <see cref="WhereV2"/>).</summary>
    public Output Where(Output condition, Output x, Output y, string? name = null) => Select(condition, x, y, name);

    /// <summary>TF's <c>tf.where_v2(condition, x, y)</c>: a SelectV2 node; the three inputs broadcast.</summary>
    public Output WhereV2(Output condition, Output x, Output y, string? name = null) => SelectV2(condition, x, y, name);

    /// <summary>TF's <c>SelectV2</c> op: elements of <paramref name="t"/> where <paramref name="condition"/> is true, else of <paramref name="e"/>, with broadcasting.</summary>
    public Output SelectV2(Output condition, Output t, Output e, string? name = null) =>
        AddOp(SelectV2Spec.OpType, [condition, t, e], name, attrs: [NamedAttr("T", Attr.Type(t.DType))])[0];

    /// <summary>TF's <c>tf.broadcast_to(input, shape)</c>: a BroadcastTo node (Const <c>BroadcastTo/shape</c>).</summary>
    public Output BroadcastTo(Output input, int[] shape, string? name = null)
    {
        using var scope = NameScope(name ?? "BroadcastTo");
        var exact = CurrentNameScope + "/";
        return BroadcastTo(input, Constant(shape, name: "shape"), exact);
    }

    /// <summary>TF's <c>tf.broadcast_to</c> with a run-time shape.</summary>
    public Output BroadcastTo(Output input, Output shape, string? name = null) =>
        AddOp(BroadcastToSpec.OpType, [input, shape], name, attrs: [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Tidx", Attr.Type(shape.DType))])[0];
}
