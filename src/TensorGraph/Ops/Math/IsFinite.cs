using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>IsFinite: element-wise, true where x is neither infinite nor NaN (<c>tf.math.is_finite</c>; <c>clip_by_global_norm</c> uses it).</summary>
internal sealed class IsFiniteSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type", AllowedTypes: TypeSets.Float)];

    public const string OpType = "IsFinite";

    public override string Type => OpType;

    /// <summary>A bool output carries no gradient (TF 1.15 registers none).</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: T"];

    protected override string[] OutputArgs => ["y: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.AddOutput(DType.Bool, c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => UnaryKernels.Make(typeof(IsFiniteFunctor<>), b.InputType(0), DType.Bool);
}

internal readonly struct IsFiniteFunctor<T> : IUnaryFunctor<IsFiniteFunctor<T>, T, bool> where T : IFloatingPointIeee754<T>
{
    public static bool Apply(T x) => T.IsFinite(x);
}

public sealed partial class Graph
{
    /// <summary>IsFinite: true where <paramref name="x"/> is finite (<c>tf.math.is_finite</c>).</summary>
    public Output IsFinite(Output x, string? name = null) => Unary(IsFiniteSpec.OpType, x, name);
}
