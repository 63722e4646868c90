using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>ExpandDims: inserts a dimension of size 1 at <c>dim</c> (in [-rank-1, rank]); a view of the input.</summary>
internal sealed class ExpandDimsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Tdim", "type", Attr.Type(DType.Int32))];

    public const string OpType = "ExpandDims";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ExpandDimsGrad</c>: the gradient reshaped back to the input's shape.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Reshape(c.Grad, c.Graph.ShapeOf(c.X)), null];

    protected override string[] InputArgs => ["input: T", "dim: Tdim"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var ds = c.InputShape(1);
        if (ds.IsFullyDefined && ds.NumElements != 1) throw c.Error($"dim must have exactly one element, not shape {ds}");
        var input = c.InputShape(0);
        if (!input.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        if (c.ConstantInput(1) is not { } dim)
        {
            c.AddOutput(c.InputType(0), Shape.UnknownOfRank(input.Rank + 1));
            return;
        }
        int axis = Axis(dim.ScalarInt64("dim", int.MaxValue), input.Rank);
        var d = new int[input.Rank + 1];
        for (int i = 0, j = 0; i < d.Length; i++) d[i] = i == axis ? 1 : input[j++];
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    internal static int Axis(long dim, int rank)
    {
        if (dim < -rank - 1 || dim > rank)
            throw new InvalidArgumentException($"Tried to expand dim index {dim} for tensor with {rank} dimensions (valid range [{-rank - 1}, {rank}])");
        return (int)(dim < 0 ? dim + rank + 1 : dim);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new ExpandDimsKernel();

    private sealed class ExpandDimsKernel : OpKernel
    {
        private readonly Tensor _view = Tensor.Empty(DType.Float32);

        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var dim = ctx.Input(1);
            int axis = Axis(dim.ScalarInt64("dim", int.MaxValue), x.Rank);
            Span<int> d = stackalloc int[x.Rank + 1];
            for (int i = 0, j = 0; i < d.Length; i++) d[i] = i == axis ? 1 : x.Dims[j++];
            ctx.SetViewOutput(0, _view, x, d);
        }
    }
}

/// <summary>Squeeze: removes size-1 dimensions (all of them, or those in <c>squeeze_dims</c>); a view of the input.</summary>
internal sealed class SqueezeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("squeeze_dims", "list(int)", Attr.Ints([]))];

    public const string OpType = "Squeeze";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SqueezeGrad</c>: the gradient reshaped back to the input's shape.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Reshape(c.Grad, c.Graph.ShapeOf(c.X))];

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var input = c.InputShape(0);
        var list = c.Attr("squeeze_dims").List?.I ?? [];
        if (!input.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        int rank = input.Rank;
        var squeeze = new bool[rank];
        foreach (var a in list) squeeze[Axis(a, rank)] = true;
        var dims = new List<int>();
        for (int i = 0; i < rank; i++)
        {
            int d = input[i];
            if (d < 0)
            {
                if (squeeze[i]) continue; // assumed to be 1 at run time
                if (list.Count == 0)
                {
                    c.AddOutput(c.InputType(0), Shape.Unknown);
                    return;
                }
            }
            else if (d == 1)
            {
                if (squeeze[i] || list.Count == 0) continue;
            }
            else if (squeeze[i]) throw c.Error($"Can not squeeze dim[{i}], expected a dimension of 1, got {d}");
            dims.Add(d);
        }
        c.AddOutput(c.InputType(0), Shape.Wrap([.. dims]));
    }

    internal static int Axis(long a, int rank)
    {
        if (a < -rank || a >= rank)
            throw new InvalidArgumentException($"Tried to squeeze dim index {a} for tensor with {rank} dimensions");
        return (int)(a < 0 ? a + rank : a);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new SqueezeKernel(b.Op.GetAttrInts("squeeze_dims"));

    private sealed class SqueezeKernel(long[] list) : OpKernel
    {
        private readonly Tensor _view = Tensor.Empty(DType.Float32);

        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            int rank = x.Rank;
            Span<bool> squeeze = stackalloc bool[rank];
            foreach (var a in list) squeeze[Axis(a, rank)] = true;
            Span<int> d = stackalloc int[rank];
            int n = 0;
            for (int i = 0; i < rank; i++)
            {
                int v = x.Dims[i];
                if (squeeze[i])
                {
                    if (v != 1) throw new InvalidArgumentException($"Can not squeeze dim[{i}], expected a dimension of 1, got {v}");
                    continue;
                }
                if (list.Length == 0 && v == 1) continue;
                d[n++] = v;
            }
            ctx.SetViewOutput(0, _view, x, d[..n]);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.expand_dims(input, axis)</c>: inserts a size-1 dimension at <paramref name="axis"/> (negative counts from the end).</summary>
    public Output ExpandDims(Output input, int axis, string? name = null)
    {
        using var scope = NameScope(name ?? "ExpandDims");
        var exact = CurrentNameScope + "/";
        return ExpandDims(input, Constant(axis, name: "dim"), exact);
    }

    /// <summary>TF's <c>tf.expand_dims</c> with a run-time axis (an int32/int64 scalar).</summary>
    public Output ExpandDims(Output input, Output axis, string? name = null) =>
        AddOp(ExpandDimsSpec.OpType, [input, axis], name, attrs: [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Tdim", Attr.Type(axis.DType))])[0];

    /// <summary>
    /// TF's <c>tf.squeeze(input, axis)</c>: removes the size-1 dimensions listed in
    /// <paramref name="axis"/>, or every size-1 dimension when it is null or empty.
    /// </summary>
    public Output Squeeze(Output input, int[]? axis = null, string? name = null) =>
        AddOp(SqueezeSpec.OpType, [input], name, attrs:
            [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("squeeze_dims", Attr.Ints((axis ?? []).Select(a => (long)a)))])[0];
}
