using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>AddN: sum of N tensors of the same shape (no broadcasting); gradient aggregation uses it.</summary>
internal sealed class AddNSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int"), new("T", "type")];

    public const string OpType = "AddN";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_AddNGrad</c>: the gradient to every input.</summary>
    public override Output?[] Gradient(GradContext c) => Enumerable.Repeat<Output?>(c.Grad, c.Op.NumInputs).ToArray();

    protected override string[] InputArgs => ["inputs: N * T"];

    protected override string[] OutputArgs => ["sum: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.NumInputs < 1) throw c.Error("AddN needs N >= 1 inputs");
        c.RequireType(0, TypeSets.Real);
        var shape = c.InputShape(0);
        for (int i = 1; i < c.NumInputs; i++)
        {
            c.RequireSameType(0, i);
            if (!shape.IsCompatibleWith(c.InputShape(i)))
                throw c.Error($"Inputs to AddN must all have the same shape, got {shape} and {c.InputShape(i)}");
            shape = shape.MergeWith(c.InputShape(i));
        }
        c.AddOutput(c.InputType(0), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => b.InputType(0) switch
    {
        DType.Float32 => new AddNKernel<float>(),
        DType.Float64 => new AddNKernel<double>(),
        DType.Int32 => new AddNKernel<int>(),
        DType.Int64 => new AddNKernel<long>(),
        DType.Int16 => new AddNKernel<short>(),
        DType.Int8 => new AddNKernel<sbyte>(),
        DType.UInt8 => new AddNKernel<byte>(),
        DType.UInt16 => new AddNKernel<ushort>(),
        var t => throw new UnimplementedException($"AddN has no kernel for {t.Name()}"),
    };

    private sealed class AddNKernel<T> : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var first = ctx.Input(0);
            for (int i = 1; i < ctx.NumInputs; i++)
            {
                if (!ctx.Input(i).Dims.SequenceEqual(first.Dims))
                    throw new InvalidArgumentException($"Inputs to AddN must all have the same shape, got {Shape.Format(first.Dims)} and {Shape.Format(ctx.Input(i).Dims)}");
            }
            var o = ctx.AllocateOutput(0, first.DType, first.Dims);
            var d = o.Span<T>();
            if (ctx.NumInputs == 1) { first.Span<T>().CopyTo(d); return; }
            TensorPrimitives.Add(first.Span<T>(), ctx.Input(1).Span<T>(), d);
            for (int i = 2; i < ctx.NumInputs; i++) TensorPrimitives.Add(d, ctx.Input(i).Span<T>(), d);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.add_n</c>: element-wise sum of same-shaped tensors.</summary>
    public Output AddN(Output[] inputs, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new InvalidArgumentException("AddN needs at least one input");
        return AddOp(AddNSpec.OpType, inputs, name, AddNSpec.OpType, [NamedAttr("N", Attr.Int(inputs.Length)), NamedAttr("T", Attr.Type(inputs[0].DType))])[0];
    }
}
