using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>ArgMax / ArgMin: the index of the largest / smallest value along <c>dimension</c> (first one on ties).</summary>
internal abstract class ArgMinMaxSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("Tidx", "type", Attr.Type(DType.Int32)), new("output_type", "type", Attr.Type(DType.Int64))];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["input: T", "dimension: Tidx"];

    protected override string[] OutputArgs => ["output: output_type"];

    protected abstract bool IsMax { get; }

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireType(1, TypeSets.Int);
        var outType = c.AttrType("output_type");
        if (outType is not (DType.Int32 or DType.Int64)) throw c.Error($"output_type must be int32 or int64, got {outType.Name()}");
        var ds = c.InputShape(1);
        if (ds.IsRankKnown && ds.Rank != 0) throw c.Error($"dimension must be a scalar, not shape {ds}");
        var input = c.InputShape(0);
        if (!input.IsRankKnown)
        {
            c.AddOutput(outType, Shape.Unknown);
            return;
        }
        if (c.ConstantInput(1) is not { } dim)
        {
            c.AddOutput(outType, Shape.UnknownOfRank(Math.Max(input.Rank - 1, 0)));
            return;
        }
        int axis = Axis(dim.ScalarInt64("dimension"), input.Rank);
        var d = new int[Math.Max(input.Rank - 1, 0)];
        for (int i = 0, j = 0; i < input.Rank; i++) if (i != axis) d[j++] = input[i];
        c.AddOutput(outType, Shape.Wrap(d));
    }

    internal static int Axis(long dim, int rank)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r) throw new InvalidArgumentException($"Expected dimension in the range [{-r}, {r}), but got {dim}");
        return (int)(dim < 0 ? dim + r : dim);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(ArgKernel<>), b.InputType(0), IsMax);

    private sealed class ArgKernel<T>(bool isMax) : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var dimT = ctx.Input(1);
            int rank = x.Rank;
            int axis = Axis(dimT.ScalarInt64("dimension"), rank);
            Span<int> od = stackalloc int[Math.Max(rank - 1, 0)];
            for (int i = 0, j = 0; i < rank; i++) if (i != axis) od[j++] = x.Dims[i];
            int n = rank == 0 ? 1 : x.Dims[axis];
            if (n == 0) throw new InvalidArgumentException($"Reduction axis {axis} is empty in shape {Shape.Format(x.Dims)}");
            var o = ctx.AllocateOutput(0, ctx.Op.OutputType(0), od);
            bool wide = o.DType == DType.Int64;
            var ol = wide ? o.Span<long>() : default;
            var oi = wide ? default : o.Span<int>();
            int outer = rank == 0 ? 1 : ArrayCopy.Product(x.Dims[..axis]);
            int inner = rank == 0 ? 1 : ArrayCopy.Product(x.Dims[(axis + 1)..]);
            var src = x.Span<T>();
            for (int p = 0; p < outer; p++)
            {
                for (int s = 0; s < inner; s++)
                {
                    int at = p * n * inner + s;
                    T best = src[at];
                    int bi = 0;
                    for (int k = 1; k < n; k++)
                    {
                        T v = src[at + k * inner];
                        if (T.IsNaN(best)) break;
                        if (isMax ? v > best || T.IsNaN(v) : v < best || T.IsNaN(v)) { best = v; bi = k; }
                    }
                    if (wide) ol[p * inner + s] = bi;
                    else oi[p * inner + s] = bi;
                }
            }
        }
    }
}

/// <summary>ArgMax (<c>tf.argmax</c>).</summary>
internal sealed class ArgMaxSpec : ArgMinMaxSpec
{
    public const string OpType = "ArgMax";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override bool IsMax => true;
}

/// <summary>ArgMin (<c>tf.argmin</c>).</summary>
internal sealed class ArgMinSpec : ArgMinMaxSpec
{
    public const string OpType = "ArgMin";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override bool IsMax => false;
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.argmax(input, axis, output_type)</c>: an ArgMax node (Const <c>ArgMax/dimension</c>).</summary>
    public Output ArgMax(Output input, int axis = 0, DType outputType = DType.Int64, string? name = null) =>
        ArgMinMax(ArgMaxSpec.OpType, input, axis, outputType, name);

    /// <summary>TF's <c>tf.argmin(input, axis, output_type)</c>: an ArgMin node (Const <c>ArgMin/dimension</c>).</summary>
    public Output ArgMin(Output input, int axis = 0, DType outputType = DType.Int64, string? name = null) =>
        ArgMinMax(ArgMinSpec.OpType, input, axis, outputType, name);

    /// <summary>ArgMax with a run-time axis.</summary>
    public Output ArgMax(Output input, Output axis, DType outputType = DType.Int64, string? name = null) =>
        AddOp(ArgMaxSpec.OpType, [input, axis], name, ArgMaxSpec.OpType,
            [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Tidx", Attr.Type(axis.DType)), NamedAttr("output_type", Attr.Type(outputType))])[0];

    /// <summary>ArgMin with a run-time axis.</summary>
    public Output ArgMin(Output input, Output axis, DType outputType = DType.Int64, string? name = null) =>
        AddOp(ArgMinSpec.OpType, [input, axis], name, ArgMinSpec.OpType,
            [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Tidx", Attr.Type(axis.DType)), NamedAttr("output_type", Attr.Type(outputType))])[0];

    private Output ArgMinMax(string type, Output input, int axis, DType outputType, string? name)
    {
        using var scope = NameScope(name ?? type);
        var exact = CurrentNameScope + "/";
        var dim = Constant(axis, name: "dimension");
        return type == ArgMaxSpec.OpType ? ArgMax(input, dim, outputType, exact) : ArgMin(input, dim, outputType, exact);
    }
}
