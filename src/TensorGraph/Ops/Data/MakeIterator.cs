using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>MakeIterator: positions an iterator at the start of a dataset; running it again starts over (an initializable iterator's initializer).</summary>
internal sealed class MakeIteratorSpec : OpSpec
{
    public const string OpType = "MakeIterator";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["dataset: variant", "iterator: resource"];

    protected override string[] OutputArgs => [];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Variant);
        c.RequireType(1, DType.Resource);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
        IteratorResource.Resolve(ctx.Input(1)).Reset(DatasetBase.Resolve(ctx.Input(0), "dataset"), ctx));
}

public sealed partial class Graph
{
    /// <summary>A MakeIterator node: (re)starts <paramref name="iterator"/> on <paramref name="dataset"/>.</summary>
    public Operation MakeIterator(Output dataset, Output iterator, string? name = null) =>
        AddOp(MakeIteratorSpec.OpType, [dataset, iterator], name);
}
