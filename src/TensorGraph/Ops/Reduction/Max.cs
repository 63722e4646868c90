using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Maximum over axes (<c>tf.reduce_max</c>).</summary>
internal sealed class MaxSpec : ReductionSpec
{
    public const string OpType = "Max";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MaxGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => ReductionGradients.MinOrMaxGrad(c);

    protected override Type Reducer => typeof(MaxReducer<>);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reduce_max</c>.</summary>
    public Output ReduceMax(Output x, int[]? axis = null, bool keepDims = false, string? name = null) => Reduction(MaxSpec.OpType, x, axis, keepDims, name);
}
