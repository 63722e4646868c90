using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Sum over axes (<c>tf.reduce_sum</c>).</summary>
internal sealed class SumSpec : ReductionSpec
{
    public const string OpType = "Sum";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SumGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c) => [ReductionGradients.SumGrad(c), null];

    protected override Type Reducer => typeof(SumReducer<>);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reduce_sum</c>; <paramref name="axis"/> null reduces every axis.</summary>
    public Output ReduceSum(Output x, int[]? axis = null, bool keepDims = false, string? name = null) => Reduction(SumSpec.OpType, x, axis, keepDims, name);
}
