using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// RandomShuffle: a random permutation of the input along dimension 0 (TF's
/// random_shuffle_op.cc: Fisher–Yates over the rows). One stream per node and session, seeded by
/// (seed, seed2), so successive runs give successive permutations.
/// </summary>
internal sealed class RandomShuffleSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("seed", "int", Attr.Int(0)), new("seed2", "int", Attr.Int(0)), new("T", "type")];

    public const string OpType = "RandomShuffle";

    public override string Type => OpType;

    /// <summary>TF: <c>ops.NotDifferentiable("RandomShuffle")</c>.</summary>
    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["value: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.InputType(0), c.InputShape(0));

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var stream = b.OpState(() => new RandomStream(b.Op.GetAttrInt("seed"), b.Op.GetAttrInt("seed2")));
        return new LambdaKernel(ctx =>
        {
            var x = ctx.Input(0);
            var o = ctx.AllocateOutput(0, x.DType, x.Dims);
            int n = x.Rank == 0 ? 1 : x.Dims[0];
            int row = n == 0 ? 0 : x.Size / n;
            var perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            lock (stream.Sync)
            {
                for (int i = n - 1; i > 0; i--)
                {
                    int j = (int)(stream.NextUInt64() % (ulong)(i + 1));
                    (perm[i], perm[j]) = (perm[j], perm[i]);
                }
            }
            for (int i = 0; i < n; i++) Array.Copy(x.Data, (long)perm[i] * row, o.Data, (long)i * row, row);
        });
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.random_shuffle(value, seed)</c>: the rows of <paramref name="value"/> in a random order (seeds from <see cref="GetSeed"/>).</summary>
    public Output RandomShuffle(Output value, int? seed = null, string? name = null)
    {
        var (s1, s2) = GetSeed(seed);
        return AddOp(RandomShuffleSpec.OpType, [value], name, attrs: [new("seed", Attr.Int(s1)), new("seed2", Attr.Int(s2)), new("T", Attr.Type(value.DType))])[0];
    }
}
