using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// AllCandidateSampler: every class of [0, num_sampled) in order, each with expected count 1
/// (TF's AllSampler, meant for tests; <c>unique</c> makes no difference).
/// </summary>
internal sealed class AllCandidateSamplerSpec : CandidateSamplerSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = SamplerAttrs(rangeMax: false);

    public const string OpType = "AllCandidateSampler";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override RangeSampler CreateSampler(Operation op) => new Sampler(op.GetAttrInt("num_sampled"));

    private sealed class Sampler(long range) : RangeSampler(range)
    {
        public override long Sample(RandomStream rnd) => throw new InternalException("AllSampler draws nothing");

        public override float Probability(long value) => throw new InternalException("AllSampler has no probabilities");

        public override void SampleBatchGetExpectedCount(RandomStream rnd, bool unique, Span<long> batch, Span<float> batchExpectedCount,
            ReadOnlySpan<long> extras, Span<float> extrasExpectedCount)
        {
            if (batch.Length != Range) throw new InternalException($"AllSampler: batch of {batch.Length} for a range of {Range}");
            for (int i = 0; i < batch.Length; i++) batch[i] = i;
            batchExpectedCount.Fill(1);
            extrasExpectedCount.Fill(1);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.random.all_candidate_sampler(true_classes, num_true, num_sampled, unique,
    /// seed)</c>: the classes 0 … <paramref name="numSampled"/> − 1, all with expected count 1 (for
    /// tests of sampled losses: with every class "sampled" they become full losses).
    /// </summary>
    public CandidateSamples AllCandidateSampler(Output trueClasses, int numTrue, int numSampled, bool unique, int? seed = null, string? name = null) =>
        CandidateSampler(AllCandidateSamplerSpec.OpType, trueClasses, numTrue, numSampled, unique, seed, name);
}
