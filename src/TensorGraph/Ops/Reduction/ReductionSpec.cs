using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shared schema of Sum/Mean/Prod/Max/Min: input, reduction_indices; attrs keep_dims, T, Tidx.</summary>
internal abstract class ReductionSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("keep_dims", "bool", Attr.Bool(false)), new("T", "type"), new("Tidx", "type", Attr.Type(DType.Int32))];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["input: T", "reduction_indices: Tidx"];

    protected override string[] OutputArgs => ["output: T"];

    /// <summary>The open generic reducer struct.</summary>
    protected abstract Type Reducer { get; }

    protected virtual bool IsMean => false;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        InferReduced(c, c.InputType(0));
    }

    /// <summary>
    /// The output of reducing input 0 over the axes in input 1 (with keep_dims): its shape when
    /// the axes are build-time constants, else what the rank allows. Shared by All/Any.
    /// </summary>
    internal static void InferReduced(InferContext c, DType outType)
    {
        c.RequireType(1, TypeSets.Int);
        bool keep = c.AttrBool("keep_dims");
        var input = c.InputShape(0);
        var axesShape = c.InputShape(1);
        if (axesShape.IsRankKnown && axesShape.Rank > 1) throw c.Error($"reduction_indices must be a scalar or vector, got shape {axesShape}");
        var axes = c.ConstantInput(1);
        if (!input.IsRankKnown || axes is null)
        {
            c.AddOutput(outType, keep && input.IsRankKnown ? Shape.UnknownOfRank(input.Rank) : Shape.Unknown);
            return;
        }
        int rank = input.Rank;
        var reduce = new bool[rank];
        for (int i = 0; i < axes.Size; i++)
        {
            long a = axes.GetInt64(i);
            if (a < -rank || a >= rank) throw c.Error($"Invalid reduction dimension {a} for input with {rank} dimensions");
            reduce[a < 0 ? a + rank : a] = true;
        }
        var dims = new List<int>();
        for (int i = 0; i < rank; i++)
        {
            if (!reduce[i]) dims.Add(input[i]);
            else if (keep) dims.Add(1);
        }
        c.AddOutput(outType, Shape.Wrap([.. dims]));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var t = b.InputType(0).ClrType();
        var k = typeof(ReduceKernel<,>).MakeGenericType(t, Reducer.MakeGenericType(t));
        return (OpKernel)Activator.CreateInstance(k, b.Op.GetAttrBool("keep_dims"), IsMean)!;
    }
}

public sealed partial class Graph
{
    /// <summary>A reduction with run-time axes (a scalar or vector int tensor).</summary>
    public Output Reduce(string opType, Output x, Output axes, bool keepDims = false, string? name = null)
    {
        if (opType is not (SumSpec.OpType or MeanSpec.OpType or ProdSpec.OpType or MaxSpec.OpType or MinSpec.OpType))
            throw new InvalidArgumentException($"'{opType}' is not a reduction (Sum, Mean, Prod, Max, Min)");
        return AddOp(opType, [x, axes], name, opType,
            [NamedAttr("keep_dims", Attr.Bool(keepDims)), NamedAttr("T", Attr.Type(x.DType)), NamedAttr("Tidx", Attr.Type(axes.DType))])[0];
    }

    private Output Reduction(string type, Output x, int[]? axis, bool keepDims, string? name)
    {
        if (axis is null)
        {
            if (!x.Shape.IsRankKnown)
            {
                if (keepDims) throw new UnimplementedException($"{type} with keep_dims over all axes needs a known rank");
                var flat = Reshape(x, [-1]);
                return Reduce(type, flat, Constant(new[] { 0 }, name: "Const"), false, name);
            }
            var all = Enumerable.Range(0, x.Shape.Rank).ToArray();
            return Reduce(type, x, Constant(all, name: "Const"), keepDims, name);
        }
        using var scope = NameScope(name ?? type);
        var exact = CurrentNameScope + "/";
        return Reduce(type, x, Constant(axis, name: "reduction_indices"), keepDims, exact);
    }
}
