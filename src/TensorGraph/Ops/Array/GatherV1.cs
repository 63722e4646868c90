using System.Numerics;
using System.Text;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Gather, TF's first version (before GatherV2): rows of <c>params</c> at <c>indices</c> along
/// axis 0; out.shape = indices.shape + params.shape[1:]. <c>validate_indices</c> is accepted and,
/// as in TF 1.15's CPU kernel, indices are always checked.
/// </summary>
internal sealed class GatherV1Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("validate_indices", "bool", Attr.Bool(true)), new("Tparams", "type"), new("Tindices", "type", AllowedTypes: TypeSets.Int)];

    public const string OpType = "Gather";

    public override string Type => OpType;

    protected override string[] InputArgs => ["params: Tparams", "indices: Tindices"];

    protected override string[] OutputArgs => ["output: Tparams"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var p = c.InputShape(0);
        var ind = c.InputShape(1);
        if (p.IsRankKnown && p.Rank < 1) throw c.Error($"Shape must be at least rank 1 but is rank 0 for params {p}");
        if (!p.IsRankKnown || !ind.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        c.AddOutput(c.InputType(0), Shape.Wrap([.. ind.ToArray(), .. p.ToArray()[1..]]));
    }

    /// <summary>
    /// TF 1.15's <c>_GatherGrad</c> with its IndexedSlices made dense:
    /// UnsortedSegmentSum(Reshape(grad, [size(indices)] + params_shape[1:]), Reshape(indices, [size]), params_shape[0]).
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var paramsShape = g.Cast(g.ShapeOf(c.X, DType.Int64), DType.Int32);
        var size = g.ExpandDims(g.Size(c.Input(1)), 0);
        var valuesShape = g.Concat([size, paramsShape[1..]], 0);
        var values = g.Reshape(c.Grad, valuesShape);
        var indices = g.Reshape(c.Input(1), size);
        return [g.UnsortedSegmentSum(values, indices, paramsShape[0]), null];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make2(typeof(Kernel<,>), b.InputType(0), b.InputType(1));

    private sealed class Kernel<T, TI> : OpKernel where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var p = ctx.Input(0);
            var ind = ctx.Input(1);
            if (p.Rank < 1) throw new InvalidArgumentException($"params must be at least 1 dimensional: {Shape.Format(p.Dims)}");
            Span<int> od = stackalloc int[ind.Rank + p.Rank - 1];
            ind.Dims.CopyTo(od);
            p.Dims[1..].CopyTo(od[ind.Rank..]);
            var o = ctx.AllocateOutput(0, p.DType, od);
            int rows = p.Dims[0];
            int inner = ArrayCopy.Product(p.Dims[1..]);
            var src = p.Span<T>();
            var dst = o.Span<T>();
            var idx = ind.Span<TI>();
            for (int i = 0; i < idx.Length; i++)
            {
                long j = long.CreateTruncating(idx[i]);
                if (j < 0 || j >= rows) throw new InvalidArgumentException($"indices{Position(ind.Dims, i)} = {j} is not in [0, {rows})");
                src.Slice((int)j * inner, inner).CopyTo(dst.Slice(i * inner, inner));
            }
        }

        private static string Position(ReadOnlySpan<int> dims, int flat)
        {
            var idx = new int[dims.Length];
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                if (dims[d] == 0) continue;
                idx[d] = flat % dims[d];
                flat /= dims[d];
            }
            return new StringBuilder("[").AppendJoin(",", idx).Append(']').ToString();
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// The legacy <c>Gather</c> op (TF's <c>gen_array_ops.gather</c>, before GatherV2): rows of
    /// <paramref name="params"/> at <paramref name="indices"/> along axis 0.
    /// </summary>
    public Output GatherV1(Output @params, Output indices, bool validateIndices = true, string? name = null) =>
        AddOp(GatherV1Spec.OpType, [@params, indices], name, attrs:
        [
            NamedAttr("validate_indices", Attr.Bool(validateIndices)), NamedAttr("Tparams", Attr.Type(@params.DType)),
            NamedAttr("Tindices", Attr.Type(indices.DType)),
        ])[0];
}
