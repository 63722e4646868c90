using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// BatchMatMulV2: matrix products over the last two dims of x [..., M, K] and y [..., K, N] with
/// numpy broadcasting of the batch dims; adj_x/adj_y transpose (no conjugation for real types).
/// BatchMatMul (v1) is the same without broadcasting.
/// </summary>
internal abstract class BatchMatMulBaseSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("adj_x", "bool", Attr.Bool(false)), new("adj_y", "bool", Attr.Bool(false))];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["x: T", "y: T"];

    protected override string[] OutputArgs => ["output: T"];

    protected abstract bool Broadcasts { get; }

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, TypeSets.FloatInt);
        var x = c.InputShape(0);
        var y = c.InputShape(1);
        if (!x.IsRankKnown || !y.IsRankKnown) { c.AddOutput(c.InputType(0), Shape.Unknown); return; }
        if (x.Rank < 2 || y.Rank < 2) throw c.Error($"In[0] and In[1] must have rank >= 2, got {x} and {y}");
        bool ax = c.AttrBool("adj_x"), ay = c.AttrBool("adj_y");
        int m = x[ax ? -1 : -2], kx = x[ax ? -2 : -1], ky = y[ay ? -1 : -2], n = y[ay ? -2 : -1];
        if (kx >= 0 && ky >= 0 && kx != ky) throw c.Error($"Matrix size-incompatible: In[0]: {x}, In[1]: {y}");
        var bx = Shape.FromSpan(x.Dims[..^2]);
        var by = Shape.FromSpan(y.Dims[..^2]);
        Shape batch;
        if (Broadcasts) batch = Broadcast.StaticShape(bx, by, Type);
        else
        {
            if (!bx.IsCompatibleWith(by)) throw c.Error($"Batch dimensions must match: {x} vs {y}");
            batch = bx.MergeWith(by);
        }
        c.AddOutput(c.InputType(0), Shape.Wrap([.. batch.ToArray(), m, n]));
    }

    /// <summary>
    /// TF 1.15's <c>_BatchMatMul</c> / <c>_BatchMatMulV2</c> gradients: one pair of BatchMatMuls per
    /// combination of adj_x and adj_y, then the broadcast batch dims summed away.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        bool ax = c.Op.GetAttrBool("adj_x"), ay = c.Op.GetAttrBool("adj_y");
        var x = c.X;
        var y = c.Y;
        var grad = c.Grad;
        (Output gx, Output gy) = (ax, ay) switch
        {
            (false, false) => (g.BatchMatMul(grad, y, adjY: true), g.BatchMatMul(x, grad, adjX: true)),
            (false, true) => (g.BatchMatMul(grad, y), g.BatchMatMul(grad, x, adjX: true)),
            (true, false) => (g.BatchMatMul(y, grad, adjY: true), g.BatchMatMul(x, grad)),
            _ => (g.BatchMatMul(y, grad, adjX: true, adjY: true), g.BatchMatMul(grad, x, adjX: true, adjY: true)),
        };
        var sx = x.Shape;
        var sy = y.Shape;
        if (!(sx.IsFullyDefined && sy.IsFullyDefined && sx.Rank == sy.Rank && sx.Dims[..^2].SequenceEqual(sy.Dims[..^2])))
        {
            // Sum over broadcast batch dims: reduce the extra leading axes and the size-1 axes.
            if (sx.IsFullyDefined && sy.IsFullyDefined)
            {
                gx = ReduceToShape(g, gx, sx);
                gy = ReduceToShape(g, gy, sy);
            }
            else
            {
                // Shapes known only at run time: TF's BroadcastGradientArgs of the batch dims.
                var dx = g.ShapeOf(x);
                var dy = g.ShapeOf(y);
                var axes = g.BroadcastGradientArgs(g.StridedSlice(dx, [0], [-2], [1], beginMask: 1), g.StridedSlice(dy, [0], [-2], [1], beginMask: 1));
                gx = g.Reshape(g.Reduce("Sum", gx, axes.R0), dx);
                gy = g.Reshape(g.Reduce("Sum", gy, axes.R1), dy);
            }
        }
        return [gx, gy];
    }

    private static Output ReduceToShape(Graph g, Output t, Shape target)
    {
        var ts = t.Shape;
        int lead = ts.Rank - target.Rank;
        var axes = new List<int>();
        for (int i = 0; i < ts.Rank - 2; i++)
            if (i < lead || target[i - lead] == 1 && ts[i] != 1) axes.Add(i);
        return axes.Count == 0 ? t : g.Reshape(g.ReduceSum(t, [.. axes]), target.ToArray());
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool ax = b.Op.GetAttrBool("adj_x"), ay = b.Op.GetAttrBool("adj_y");
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(ax, ay, Broadcasts),
            DType.Float64 => new Kernel<double>(ax, ay, Broadcasts),
            DType.Int32 => new Kernel<int>(ax, ay, Broadcasts),
            DType.Int64 => new Kernel<long>(ax, ay, Broadcasts),
            var t => throw new UnimplementedException($"{Type} has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(bool ax, bool ay, bool broadcasts) : OpKernel where T : unmanaged, INumber<T>
    {
        private readonly GemmScratch _scratch = new();

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var y = ctx.Input(1);
            if (x.Rank < 2 || y.Rank < 2) throw new InvalidArgumentException($"In[0] and In[1] must have rank >= 2, got {Shape.Format(x.Dims)} and {Shape.Format(y.Dims)}");
            var xd = x.Dims;
            var yd = y.Dims;
            int m = xd[ax ? ^1 : ^2], k = xd[ax ? ^2 : ^1], ky = yd[ay ? ^1 : ^2], n = yd[ay ? ^2 : ^1];
            if (k != ky) throw new InvalidArgumentException($"Matrix size-incompatible: In[0]: {Shape.Format(xd)}, In[1]: {Shape.Format(yd)}");
            var bxd = xd[..^2];
            var byd = yd[..^2];
            if (!broadcasts && !bxd.SequenceEqual(byd)) throw new InvalidArgumentException($"Batch dimensions must match: {Shape.Format(xd)} vs {Shape.Format(yd)}");
            int rank = Math.Max(bxd.Length, byd.Length);
            Span<int> od = stackalloc int[rank + 2];
            Broadcast.Dims(bxd, byd, od[..rank]);
            od[rank] = m;
            od[rank + 1] = n;
            var o = ctx.AllocateOutput(0, x.DType, od);
            Span<int> sx = stackalloc int[rank];
            Span<int> sy = stackalloc int[rank];
            var batchDims = od[..rank];
            Broadcast.Strides(bxd, batchDims, sx);
            Broadcast.Strides(byd, batchDims, sy);
            int batches = 1;
            foreach (var d in batchDims) batches *= d;
            var xs = x.Span<T>();
            var ys = y.Span<T>();
            var os = o.Span<T>();
            int xm = m * k, ym = k * n, om = m * n;
            for (int bi = 0; bi < batches; bi++)
            {
                int rem = bi, xo = 0, yo = 0;
                for (int d = rank - 1; d >= 0; d--)
                {
                    int idx = rem % batchDims[d];
                    rem /= batchDims[d];
                    xo += idx * sx[d];
                    yo += idx * sy[d];
                }
                Gemm.Multiply<T>(xs.Slice(xo * xm, xm), ax, ys.Slice(yo * ym, ym), ay, os.Slice(bi * om, om), m, n, k, _scratch);
            }
        }
    }
}

/// <summary>BatchMatMulV2 (broadcasting batch dims).</summary>
internal sealed class BatchMatMulV2Spec : BatchMatMulBaseSpec
{
    public const string OpType = "BatchMatMulV2";

    public override string Type => OpType;

    protected override bool Broadcasts => true;
}

/// <summary>BatchMatMul (v1: batch dims must match).</summary>
internal sealed class BatchMatMulSpec : BatchMatMulBaseSpec
{
    public const string OpType = "BatchMatMul";

    public override string Type => OpType;

    protected override bool Broadcasts => false;
}

public sealed partial class Graph
{
    /// <summary>A <c>BatchMatMulV2</c> node: batched matrix product with broadcasting batch dims.</summary>
    public Output BatchMatMul(Output x, Output y, bool adjX = false, bool adjY = false, string? name = null) =>
        AddOp(BatchMatMulV2Spec.OpType, [x, y], name, BatchMatMulV2Spec.OpType, [NamedAttr("T", Attr.Type(x.DType)), NamedAttr("adj_x", Attr.Bool(adjX)), NamedAttr("adj_y", Attr.Bool(adjY))])[0];
}
