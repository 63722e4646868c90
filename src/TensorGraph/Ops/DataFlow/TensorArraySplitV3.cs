using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorArraySplitV3: splits <c>value</c> along axis 0 into one element per entry of the int64
/// <c>lengths</c> (which must sum to its first dimension and number as many as the array's size,
/// unless it is resizeable), and forwards <c>flow_in</c>.
/// </summary>
internal sealed class TensorArraySplitV3Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "TensorArraySplitV3";

    public override string Type => OpType;

    protected override string[] InputArgs => ["handle: resource", "value: T", "lengths: int64", "flow_in: float"];

    protected override string[] OutputArgs => ["flow_out: float"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 3);
        TensorArrayInference.RequireRank(c, 2, 1);
        c.AddOutput(DType.Float32, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new SplitKernel();

    private sealed class SplitKernel : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override int ForwardedInput(int output) => 3;

        public override void Compute(OpContext ctx)
        {
            var ta = TensorArrayResource.From(ctx);
            var value = ctx.Input(1);
            var lengthsT = ctx.Input(2);
            if (lengthsT.Rank != 1) throw OpContext.Error($"Expected lengths to be a vector, received shape: {Shape.Format(lengthsT.Dims)}");
            var lengths = lengthsT.ToArray<long>();
            long total = 0;
            foreach (var l in lengths)
            {
                if (l < 0) throw OpContext.Error($"Expected lengths to be non-negative, but got {l}");
                total += l;
            }
            if (value.Rank == 0) throw OpContext.Error($"Expected value to be at least a vector, but received shape: {Shape.Format(value.Dims)}");
            if (total != value.Dims[0])
                throw OpContext.Error($"Expected sum of lengths to be equal to values.shape[0], but sum of lengths is {total} and value's shape is: {Shape.Format(value.Dims)}");
            int size = ta.Size();
            if (ta.HasDynamicSize && size < lengths.Length) size = lengths.Length;
            if (size != lengths.Length)
                throw OpContext.Error($"TensorArray's size is not equal to the size of lengths ({size} vs. {lengths.Length}), and the TensorArray is not marked as dynamically resizeable");
            ta.RequireWriteDType(value);
            long rowElements = TensorSize.Elements(value.Dims[1..]);
            var parts = new Tensor[size];
            long start = 0;
            for (int i = 0; i < size; i++)
            {
                int[] dims = value.Dims.ToArray();
                dims[0] = (int)lengths[i];
                parts[i] = TensorArrayResource.Rows(ctx, value, start, dims, rowElements);
                start += lengths[i];
            }
            ta.SetMarkedSize(size);
            ta.WriteMany(Enumerable.Range(0, size).ToArray(), parts);
            ctx.SetOutput(0, ctx.Input(3));
        }
    }

    /// <summary>TF 1.15's <c>_TensorArraySplitGrad</c>: the value's gradient is the gradient array concatenated; the flow's gradient passes through.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var flow = c.Grad;
        var g = TensorArray.FromHandle(c.Input(0), flow, c.Op.GetAttrType("T")).Grad(TensorArrayInference.GradSource(flow), flow);
        return [null, g.Concat(), null, flow];
    }
}

public sealed partial class Graph
{
    /// <summary>A raw <c>TensorArraySplitV3</c> node; returns the flow out (see <see cref="TensorArray.Split"/>).</summary>
    public Output TensorArraySplitV3(Output handle, Output value, Output lengths, Output flowIn, string? name = null) =>
        AddOp(TensorArraySplitV3Spec.OpType, [handle, value, lengths, flowIn], name, null, [new("T", Attr.Type(value.DType))])[0];
}
