using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shape helpers for the element-wise gradient helper ops, whose two inputs must have equal shapes.</summary>
internal static class NnShapes
{
    /// <summary>The merged static shape of inputs <paramref name="a"/> and <paramref name="b"/> (TF's MergeBothInputsShapeFn).</summary>
    public static Shape MergeSame(InferContext c, int a, int b)
    {
        var sa = c.InputShape(a);
        var sb = c.InputShape(b);
        if (!sa.IsCompatibleWith(sb))
            throw c.Error($"{c.Type} needs inputs of the same shape, got {sa} and {sb}");
        return sa.MergeWith(sb);
    }

    /// <summary>Run-time check that two inputs have identical dimensions.</summary>
    public static void RequireSameDims(Tensor a, Tensor b, string op)
    {
        if (!a.Dims.SequenceEqual(b.Dims))
            throw new InvalidArgumentException($"{op}: inputs must have the same shape, got {Shape.Format(a.Dims)} and {Shape.Format(b.Dims)}");
    }
}
