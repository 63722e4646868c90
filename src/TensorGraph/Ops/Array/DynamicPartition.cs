using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// DynamicPartition: outputs[p] = the slices data[i, …] with partitions[i] = p, in order;
/// out[p].shape = [count of p] + data.shape[partitions.rank:].
/// </summary>
internal sealed class DynamicPartitionSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("num_partitions", "int"), new("T", "type")];

    public const string OpType = "DynamicPartition";

    public override string Type => OpType;

    /// <summary>
    /// TF 1.15's <c>_DynamicPartitionGrads</c>: the positions Reshape(Range(Prod(Shape(partitions))))
    /// partitioned the same way, the gradients stitched back and reshaped to data's shape.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        int n = (int)c.Op.GetAttrInt("num_partitions");
        var prefixShape = g.ShapeOf(c.Input(1));
        var originalIndices = g.Reshape(g.Range(g.Constant(0), g.ReduceProd(prefixShape), g.Constant(1)), prefixShape);
        var partitioned = g.DynamicPartition(originalIndices, c.Input(1), n);
        var reconstructed = g.DynamicStitch(partitioned, [.. c.Grads.Select(x => x!.Value)]);
        return [g.Reshape(reconstructed, g.ShapeOf(c.Input(0))), null];
    }

    protected override string[] InputArgs => ["data: T", "partitions: int32"];

    protected override string[] OutputArgs => ["outputs: num_partitions * T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, DType.Int32);
        int n = (int)c.AttrInt("num_partitions");
        if (n < 1) throw c.Error($"num_partitions must be at least 1, got {n}");
        var data = c.InputShape(0);
        var parts = c.InputShape(1);
        Shape o = Shape.Unknown;
        if (data.IsRankKnown && parts.IsRankKnown)
        {
            bool prefix = parts.Rank <= data.Rank;
            for (int i = 0; prefix && i < parts.Rank; i++) prefix = parts[i] < 0 || data[i] < 0 || parts[i] == data[i];
            if (!prefix) throw c.Error($"data.shape = {data} must start with partitions.shape = {parts}");
            o = Shape.Wrap([-1, .. data.ToArray()[parts.Rank..]]);
        }
        for (int p = 0; p < n; p++) c.AddOutput(c.InputType(0), o);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new PartitionKernel((int)b.Op.GetAttrInt("num_partitions"));

    private sealed class PartitionKernel(int n) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var data = ctx.Input(0);
            var parts = ctx.Input(1);
            if (parts.Rank > data.Rank || !data.Dims[..parts.Rank].SequenceEqual(parts.Dims))
                throw new InvalidArgumentException($"data.shape = {Shape.Format(data.Dims)} must start with partitions.shape = {Shape.Format(parts.Dims)}");
            var p = parts.Span<int>();
            var counts = new int[n];
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < 0 || p[i] >= n)
                    throw new InvalidArgumentException($"partitions[{i}] = {p[i]} is not in [0, {n})");
                counts[p[i]]++;
            }
            var suffix = data.Dims[parts.Rank..];
            int slice = 1;
            foreach (var d in suffix) slice = checked(slice * d);
            var outs = new Tensor[n];
            Span<int> od = stackalloc int[1 + suffix.Length];
            suffix.CopyTo(od[1..]);
            for (int k = 0; k < n; k++)
            {
                od[0] = counts[k];
                outs[k] = ctx.AllocateOutput(k, data.DType, od);
            }
            var at = new int[n];
            for (int i = 0; i < p.Length; i++)
            {
                int k = p[i];
                Array.Copy(data.Data, i * slice, outs[k].Data, at[k]++ * slice, slice);
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.dynamic_partition(data, partitions, num_partitions)</c>.</summary>
    public Output[] DynamicPartition(Output data, Output partitions, int numPartitions, string? name = null) =>
        AddOp(DynamicPartitionSpec.OpType, [data, partitions], name, attrs:
            [NamedAttr("num_partitions", Attr.Int(numPartitions)), NamedAttr("T", Attr.Type(data.DType))]).Outputs;
}
