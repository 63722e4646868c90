using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>BiasAddV1: the legacy BiasAdd without a data_format attr: value + bias along the last dimension.</summary>
internal sealed class BiasAddV1Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "BiasAddV1";

    public override string Type => OpType;

    protected override string[] InputArgs => ["value: T", "bias: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, TypeSets.Real);
        var v = c.InputShape(0);
        var b = c.InputShape(1);
        if (v.IsRankKnown && v.Rank < 2) throw c.Error($"Shape must be at least rank 2 but is rank {v.Rank} for value {v}");
        if (b.IsRankKnown && b.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {b.Rank} for bias {b}");
        var shape = v;
        if (v.IsRankKnown && b.IsRankKnown)
        {
            if (v[-1] >= 0 && b[0] >= 0 && v[-1] != b[0])
                throw c.Error($"Dimensions must be equal, but are {v[-1]} and {b[0]} for BiasAddV1 with input shapes: {v}, {b}");
            if (v[-1] < 0 && b[0] >= 0)
            {
                var d = v.ToArray();
                d[^1] = b[0];
                shape = Shape.Wrap(d);
            }
        }
        c.AddOutput(c.InputType(0), shape);
    }

    /// <summary>TF 1.15's <c>_BiasAddGradV1</c>: value gets the gradient, bias its sum over every dimension but the last.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var reductionDims = g.Range(g.Constant(0), g.Subtract(g.Rank(c.Grad), g.Constant(1)), g.Constant(1));
        return [c.Grad, g.Reduce(SumSpec.OpType, c.Grad, reductionDims)];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => b.InputType(0) switch
    {
        DType.Float32 => new Kernel<float>(),
        DType.Float64 => new Kernel<double>(),
        DType.Int32 => new Kernel<int>(),
        DType.Int64 => new Kernel<long>(),
        var t => throw new UnimplementedException($"BiasAddV1 has no kernel for {t.Name()}"),
    };

    private sealed class Kernel<T> : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var v = ctx.Input(0);
            var bias = ctx.Input(1);
            if (v.Rank < 2) throw new InvalidArgumentException($"Input tensor must be at least 2D: {Shape.Format(v.Dims)}");
            if (bias.Rank != 1) throw new InvalidArgumentException($"Biases must be 1D: {Shape.Format(bias.Dims)}");
            if (v.Dims[^1] != bias.Size)
                throw new InvalidArgumentException($"Must provide as many biases as the last dimension of the input tensor: {Shape.Format(bias.Dims)} vs. {Shape.Format(v.Dims)}");
            var o = ctx.AllocateOutput(0, v.DType, v.Dims);
            var x = v.Span<T>();
            var bs = bias.Span<T>();
            var d = o.Span<T>();
            int n = bs.Length;
            if (n == 0) return;
            for (int off = 0; off < d.Length; off += n) TensorPrimitives.Add(x.Slice(off, n), bs, d.Slice(off, n));
        }
    }
}

public sealed partial class Graph
{
    /// <summary>The legacy <c>BiasAddV1</c> op: <paramref name="bias"/> added along the last dimension of <paramref name="value"/>.</summary>
    public Output BiasAddV1(Output value, Output bias, string? name = null) =>
        AddOp(BiasAddV1Spec.OpType, [value, bias], name, BiasAddV1Spec.OpType, [NamedAttr("T", Attr.Type(value.DType))])[0];
}
