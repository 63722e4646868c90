using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Minimum over axes (<c>tf.reduce_min</c>).</summary>
internal sealed class MinSpec : ReductionSpec
{
    public const string OpType = "Min";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MinGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => ReductionGradients.MinOrMaxGrad(c);

    protected override Type Reducer => typeof(MinReducer<>);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reduce_min</c>.</summary>
    public Output ReduceMin(Output x, int[]? axis = null, bool keepDims = false, string? name = null) => Reduction(MinSpec.OpType, x, axis, keepDims, name);
}
