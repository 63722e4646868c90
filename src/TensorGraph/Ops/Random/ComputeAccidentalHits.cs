using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ComputeAccidentalHits: the positions in sampled_candidates that equal a true class of a row.
/// For each row i and true class t of it that is among the samples (its last position j there):
/// indices gets i, ids gets j and weights gets −FLT_MAX, in row-major order of true_classes.
/// </summary>
internal sealed class ComputeAccidentalHitsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("num_true", "int"), new("seed", "int", Attr.Int(0)), new("seed2", "int", Attr.Int(0))];

    public const string OpType = "ComputeAccidentalHits";

    public override string Type => OpType;

    /// <summary>TF: <c>ops.NotDifferentiable("ComputeAccidentalHits")</c>.</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["true_classes: int64", "sampled_candidates: int64"];

    protected override string[] OutputArgs => ["indices: int32", "ids: int64", "weights: float"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Int64);
        c.RequireType(1, DType.Int64);
        long numTrue = c.AttrInt("num_true");
        var t = c.InputShape(0);
        if (t.IsRankKnown && t.Rank != 2) throw c.Error($"Shape must be rank 2 but is rank {t.Rank} for true_classes {t}");
        if (t.IsRankKnown && t[1] >= 0 && t[1] != numTrue) throw c.Error($"Dimension must be {numTrue} but is {t[1]} for true_classes {t}");
        var s = c.InputShape(1);
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {s.Rank} for sampled_candidates {s}");
        c.AddOutput(DType.Int32, new Shape(-1));
        c.AddOutput(DType.Int64, new Shape(-1));
        c.AddOutput(DType.Float32, new Shape(-1));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        long numTrue = b.Op.GetAttrInt("num_true");
        return new LambdaKernel(ctx =>
        {
            var trueClasses = ctx.Input(0);
            if (trueClasses.Rank != 2 || trueClasses.Dims[1] != numTrue)
                throw new InvalidArgumentException("true_classes must be a batch_size * num_true matrix");
            var sampledT = ctx.Input(1);
            if (sampledT.Rank != 1)
                throw new InvalidArgumentException("sampled_candidates must be a vector, which is typically an output from CandidateSampler");
            var sampled = sampledT.Span<long>();
            var position = new Dictionary<long, int>(sampled.Length);
            for (int i = 0; i < sampled.Length; i++) position[sampled[i]] = i;
            var indices = new List<int>();
            var ids = new List<long>();
            var tc = trueClasses.Span<long>();
            int batch = trueClasses.Dims[0], nt = (int)numTrue;
            for (int i = 0; i < batch; i++)
            {
                for (int j = 0; j < nt; j++)
                {
                    if (position.TryGetValue(tc[i * nt + j], out int pos))
                    {
                        indices.Add(i);
                        ids.Add(pos);
                    }
                }
            }
            int n = indices.Count;
            indices.CopyTo(ctx.AllocateOutput(0, DType.Int32, [n]).Span<int>());
            ids.CopyTo(ctx.AllocateOutput(1, DType.Int64, [n]).Span<long>());
            ctx.AllocateOutput(2, DType.Float32, [n]).Span<float>().Fill(-float.MaxValue);
        });
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.compute_accidental_hits(true_classes, sampled_candidates, num_true, seed)</c>:
    /// where a sampled candidate equals one of a row's true classes, as (indices: the row, ids: the
    /// position in <paramref name="sampledCandidates"/>, weights: −FLT_MAX) — what sampled losses
    /// add to those logits to remove the hits.
    /// </summary>
    public (Output Indices, Output Ids, Output Weights) ComputeAccidentalHits(Output trueClasses, Output sampledCandidates, int numTrue,
        int? seed = null, string? name = null)
    {
        var (s1, s2) = GetSeed(seed);
        var o = AddOp(ComputeAccidentalHitsSpec.OpType, [trueClasses, sampledCandidates], name, ComputeAccidentalHitsSpec.OpType,
            [NamedAttr("num_true", Attr.Int(numTrue)), NamedAttr("seed", Attr.Int(s1)), NamedAttr("seed2", Attr.Int(s2))]);
        return (o[0], o[1], o[2]);
    }
}
