using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ReverseSequence: for each index b along <c>batch_dim</c>, reverses the first
/// <c>seq_lengths[b]</c> slices along <c>seq_dim</c> and copies the rest unchanged
/// (<c>tf.reverse_sequence</c>; the backward direction of <c>bidirectional_dynamic_rnn</c>).
/// </summary>
internal sealed class ReverseSequenceSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("seq_dim", "int"), new("batch_dim", "int", Attr.Int(0)), new("T", "type"),
        new("Tlen", "type", Attr.Type(DType.Int64), AllowedTypes: TypeSets.Int),
    ];

    public const string OpType = "ReverseSequence";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T", "seq_lengths: Tlen"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF 1.15's <c>_ReverseSequenceGrad</c>: the gradient reversed the same way (the reversal is its own inverse).</summary>
    public override Output?[] Gradient(GradContext c) =>
        [c.Graph.ReverseSequence(c.Grad, c.Input(1), (int)c.Op.GetAttrInt("seq_dim"), (int)c.Op.GetAttrInt("batch_dim")), null];

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var lens = c.InputShape(1);
        if (lens.IsRankKnown && lens.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {lens.Rank} for 'seq_lengths' ({lens})");
        long seqDim = c.AttrInt("seq_dim"), batchDim = c.AttrInt("batch_dim");
        if (seqDim < 0 || batchDim < 0) throw c.Error($"seq_dim and batch_dim must be non-negative, got {seqDim} and {batchDim}");
        var input = c.InputShape(0);
        if (!input.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        if (batchDim >= input.Rank) throw c.Error($"batch_dim must be < input rank: {batchDim} vs. {input.Rank}");
        if (seqDim >= input.Rank) throw c.Error($"seq_dim must be < input rank: {seqDim} vs. {input.Rank}");
        var dims = input.ToArray();
        int batch = dims[batchDim], n = lens.IsRankKnown ? lens[0] : -1;
        if (batch >= 0 && n >= 0 && batch != n)
            throw c.Error($"Dimensions must be equal, but are {batch} and {n}: the input's dimension {batchDim} and the length of seq_lengths");
        dims[batchDim] = batch >= 0 ? batch : n;
        c.AddOutput(c.InputType(0), new Shape(dims));
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make(typeof(ReverseSequenceKernel<>), b.InputType(0), (int)b.Op.GetAttrInt("seq_dim"), (int)b.Op.GetAttrInt("batch_dim"));

    private sealed class ReverseSequenceKernel<T>(int seqDim, int batchDim) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var lensT = ctx.Input(1);
            if (batchDim == seqDim) throw OpContext.Error($"batch_dim == seq_dim == {seqDim}");
            if (seqDim >= x.Rank) throw OpContext.Error($"seq_dim must be < input.dims()( {seqDim} vs. {x.Rank})");
            if (batchDim >= x.Rank) throw OpContext.Error($"batch_dim must be < input.dims()( {batchDim} vs. {x.Rank})");
            if (lensT.Rank != 1) throw OpContext.Error($"seq_lengths must be 1-dimensional, got shape {Shape.Format(lensT.Dims)}");
            int batch = x.Dims[batchDim], seq = x.Dims[seqDim];
            if (lensT.Size != batch)
                throw OpContext.Error($"len(seq_lens) != input.dims({batchDim}), ({lensT.Size} vs. {batch})");
            Span<int> lens = batch <= 256 ? stackalloc int[batch] : new int[batch];
            for (int d = 0; d < batch; d++)
            {
                long l = lensT.GetInt64(d);
                if (l < 0) throw OpContext.Error($"seq_lens({d}) < 0");
                if (l > seq) throw OpContext.Error($"seq_lens({d}) > input.dims({seqDim})");
                lens[d] = (int)l;
            }
            var o = ctx.AllocateOutput(0, x.DType, x.Dims);
            var src = x.Span<T>();
            var dst = o.Span<T>();
            Span<int> strides = stackalloc int[x.Rank];
            ArrayCopy.RowMajorStrides(x.Dims, strides);
            int seqStride = strides[seqDim], batchStride = strides[batchDim];
            for (int i = 0; i < dst.Length; i++)
            {
                int s = i / seqStride % seq;
                int l = lens[i / batchStride % batch];
                dst[i] = s < l ? src[i + (l - 1 - 2 * s) * seqStride] : src[i];
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.reverse_sequence(input, seq_lengths, seq_axis, batch_axis)</c>: reverses the
    /// first <paramref name="seqLengths"/>[b] entries along <paramref name="seqAxis"/> of every
    /// slice b along <paramref name="batchAxis"/>.
    /// </summary>
    public Output ReverseSequence(Output input, Output seqLengths, int seqAxis, int batchAxis = 0, string? name = null) =>
        AddOp(ReverseSequenceSpec.OpType, [input, seqLengths], name, null,
        [
            NamedAttr("seq_dim", Attr.Int(seqAxis)), NamedAttr("batch_dim", Attr.Int(batchAxis)),
            NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Tlen", Attr.Type(seqLengths.DType)),
        ])[0];
}
