using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>UniformCandidateSampler: candidates drawn uniformly from [0, range_max), each with probability 1/range_max (TF's UniformSampler).</summary>
internal sealed class UniformCandidateSamplerSpec : CandidateSamplerSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = SamplerAttrs(rangeMax: true);

    public const string OpType = "UniformCandidateSampler";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override RangeSampler CreateSampler(Operation op) => new Sampler(op.GetAttrInt("range_max"));

    private sealed class Sampler(long range) : RangeSampler(range)
    {
        private readonly float _invRange = (float)(1.0 / range);

        public override long Sample(RandomStream rnd) => rnd.NextInt64(0, Range);

        public override float Probability(long value) => _invRange;
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.random.uniform_candidate_sampler(true_classes, num_true, num_sampled, unique,
    /// range_max, seed)</c>: <paramref name="numSampled"/> classes drawn uniformly from [0,
    /// <paramref name="rangeMax"/>), without repeats when <paramref name="unique"/>, and the
    /// expected counts of the true and sampled classes.
    /// </summary>
    public CandidateSamples UniformCandidateSampler(Output trueClasses, int numTrue, int numSampled, bool unique, long rangeMax,
        int? seed = null, string? name = null) =>
        CandidateSampler(UniformCandidateSamplerSpec.OpType, trueClasses, numTrue, numSampled, unique, seed, name,
            NamedAttr("range_max", Attr.Int(rangeMax)));
}
