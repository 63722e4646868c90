using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Product over axes (<c>tf.reduce_prod</c>).</summary>
internal sealed class ProdSpec : ReductionSpec
{
    public const string OpType = "Prod";

    public override string Type => OpType;

    /// <summary>
    /// The gradient (TF 1.15's <c>_ProdGrad</c>, computed differently): dx_i = g · ∏_{j≠i} x_j over
    /// i's reduction group, from exclusive cumprods in both directions, so zeros in x are handled exactly.
    /// <para>
    /// TF transposes all reduced axes to the front, reshapes to [reduced, other] and runs one pair
    /// of Cumprods (Rank, ListDiff, ConcatV2, Gather, Transpose, InvertPermutation). Those array
    /// ops are not available here yet, so the product is factored axis by axis instead: for axes
    /// a₁…a_k, ∏_{j≠i} = ∏_m E_m where E_m is the two-sided exclusive cumprod along a_m of
    /// x reduced (keep_dims) over a₁…a_{m−1}. The values are the same; the graph differs from TF's,
    /// and the reduction axes must be a build-time constant (run-time axes raise Unimplemented).
    /// </para>
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var x = c.X;
        var axesValue = g.TryConstantValue(c.Input(1))
            ?? throw new UnimplementedException($"The gradient of Prod '{c.Op.Name}' needs constant reduction axes; run-time axes are not supported yet");
        var axes = NormalizedAxes(c, axesValue);

        // Broadcast the incoming gradient back to x's shape, as for Sum.
        var inputShape = g.ShapeOf(x);
        var kept = g.ReducedShape(inputShape, c.Input(1));
        var tileScaling = g.FloorDiv(inputShape, g.Maximum(kept, g.Constant(1)));
        var grad = g.Tile(g.Reshape(c.Grad, kept), tileScaling);

        Output? others = null;
        var cur = x;
        for (int m = 0; m < axes.Count; m++)
        {
            var axis = g.Constant(axes[m], name: "axis");
            var left = g.Cumprod(cur, axis, exclusive: true);
            var right = g.Cumprod(cur, axis, exclusive: true, reverse: true);
            var e = left * right;
            others = others is null ? e : others.Value * e;
            if (m + 1 < axes.Count) cur = g.Reduce(OpType, cur, axis, keepDims: true);
        }
        var result = others is null ? grad : grad * others.Value;
        return [g.Reshape(result, inputShape), null];
    }

    /// <summary>The distinct reduction axes, non-negative when x's rank is known.</summary>
    private static List<int> NormalizedAxes(GradContext c, Tensor axesValue)
    {
        var shape = c.X.Shape;
        var axes = new List<int>();
        bool anyNegative = false, anyNonNegative = false;
        for (int i = 0; i < axesValue.Size; i++)
        {
            long a = axesValue.GetInt64(i);
            if (shape.IsRankKnown)
            {
                int rank = shape.Rank;
                if (a < -rank || a >= rank) throw new InvalidArgumentException($"Invalid reduction dimension {a} for input with {rank} dimensions");
                if (a < 0) a += rank;
            }
            if (a < 0) anyNegative = true;
            else anyNonNegative = true;
            if (!axes.Contains((int)a)) axes.Add((int)a);
        }
        if (anyNegative && anyNonNegative)
            throw new UnimplementedException($"The gradient of Prod '{c.Op.Name}' mixes negative and non-negative axes on an input of unknown rank");
        return axes;
    }

    protected override Type Reducer => typeof(ProdReducer<>);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reduce_prod</c>.</summary>
    public Output ReduceProd(Output x, int[]? axis = null, bool keepDims = false, string? name = null) => Reduction(ProdSpec.OpType, x, axis, keepDims, name);
}
