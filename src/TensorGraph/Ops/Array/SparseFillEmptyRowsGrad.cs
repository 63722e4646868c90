using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseFillEmptyRowsGrad: the gradient of SparseFillEmptyRows. <c>d_values[i] =
/// grad_values[reverse_index_map[i]]</c>; <c>d_default_value</c> is the sum of the gradients of
/// the entries that were filled in (those no input entry maps to).
/// </summary>
internal sealed class SparseFillEmptyRowsGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "SparseFillEmptyRowsGrad";

    public override string Type => OpType;

    /// <summary>TF registers no gradient for it.</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["reverse_index_map: int64", "grad_values: T"];

    protected override string[] OutputArgs => ["d_values: T", "d_default_value: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Real);
        var map = c.InputShape(0);
        var grad = c.InputShape(1);
        if (map.IsRankKnown && map.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {map.Rank} for 'reverse_index_map' ({map})");
        if (grad.IsRankKnown && grad.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {grad.Rank} for 'grad_values' ({grad})");
        c.AddOutput(c.InputType(1), map.IsRankKnown ? map : new Shape(-1));
        c.AddOutput(c.InputType(1), Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(FillEmptyRowsGradKernel<>), b.InputType(1));

    private sealed class FillEmptyRowsGradKernel<T> : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var map = ctx.Input(0);
            var grad = ctx.Input(1);
            if (map.Rank != 1) throw new InvalidArgumentException($"reverse_index_map must be a vector, saw: {Shape.Format(map.Dims)}");
            if (grad.Rank != 1) throw new InvalidArgumentException($"grad_values must be a vector, saw: {Shape.Format(grad.Dims)}");
            int n = map.Size, full = grad.Size;
            var dValues = ctx.AllocateOutput(0, grad.DType, [n]);
            var dDefault = ctx.AllocateOutput(1, grad.DType, []);
            var m = map.Span<long>();
            var g = grad.Span<T>();
            var dv = dValues.Span<T>();
            var visited = new bool[full];
            for (int i = 0; i < n; i++)
            {
                long j = m[i];
                if (j < 0 || j >= full) throw new InvalidArgumentException($"Invalid reverse index map entry: {j} (not in [0, {full}))");
                dv[i] = g[(int)j];
                visited[j] = true;
            }
            T sum = T.Zero;
            for (int j = 0; j < full; j++)
                if (!visited[j]) sum += g[j];
            dDefault.Span<T>()[0] = sum;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>gen_sparse_ops.sparse_fill_empty_rows_grad(reverse_index_map, grad_values)</c>: (d_values, d_default_value).</summary>
    public (Output DValues, Output DDefaultValue) SparseFillEmptyRowsGrad(Output reverseIndexMap, Output gradValues, string? name = null)
    {
        var op = AddOp(SparseFillEmptyRowsGradSpec.OpType, [reverseIndexMap, gradValues], name, attrs: [NamedAttr("T", Attr.Type(gradValues.DType))]);
        return (op[0], op[1]);
    }
}
