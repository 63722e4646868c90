using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>An element-wise op of two same-shaped inputs (no broadcasting), attr T.</summary>
internal abstract class SameShapeBinaryOpSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> TAttr = [new("T", "type")];

    public override IReadOnlyList<AttrSpec> Attrs => TAttr;

    protected abstract DType[] Allowed { get; }

    /// <summary>The open generic functor struct.</summary>
    protected abstract Type Functor { get; }

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, Allowed);
        c.AddOutput(c.InputType(0), NnShapes.MergeSame(c, 0, 1));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var t = b.InputType(0).ClrType();
        Type op;
        try
        {
            op = Functor.MakeGenericType(t);
        }
        catch (ArgumentException)
        {
            throw new UnimplementedException($"{Type} has no kernel for {b.InputType(0).Name()}");
        }
        var k = typeof(SameShapeBinaryKernel<,>).MakeGenericType(t, op);
        return (OpKernel)Activator.CreateInstance(k, Type)!;
    }
}

/// <summary>Kernel of <see cref="SameShapeBinaryOpSpec"/>: checks the shapes, then applies the functor.</summary>
internal sealed class SameShapeBinaryKernel<T, TFunctor>(string opType) : OpKernel where TFunctor : struct, IBinaryFunctor<TFunctor, T, T>
{
    public override void Compute(OpContext ctx)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        NnShapes.RequireSameDims(a, b, opType);
        var o = ctx.AllocateOutput(0, a.DType, a.Dims);
        TFunctor.Span(a.Span<T>(), b.Span<T>(), o.Span<T>());
    }
}
