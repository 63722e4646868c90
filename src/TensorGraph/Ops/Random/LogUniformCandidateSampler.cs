using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// LogUniformCandidateSampler: candidates from the log-uniform (Zipfian) distribution over [0,
/// range_max), P(k) = log((k + 2)/(k + 1)) / log(range_max + 1), drawn as TF's LogUniformSampler
/// draws them: ⌊exp(u · log(range_max + 1))⌋ − 1 for u uniform in [0, 1).
/// </summary>
internal sealed class LogUniformCandidateSamplerSpec : CandidateSamplerSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = SamplerAttrs(rangeMax: true);

    public const string OpType = "LogUniformCandidateSampler";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override RangeSampler CreateSampler(Operation op) => new Sampler(op.GetAttrInt("range_max"));

    private sealed class Sampler(long range) : RangeSampler(range)
    {
        private readonly double _logRange = Math.Log(range + 1.0);

        public override long Sample(RandomStream rnd)
        {
            long value = (long)Math.Exp(rnd.NextDouble() * _logRange) - 1;
            return value % Range;
        }

        public override float Probability(long value) => (float)(Math.Log((value + 2.0) / (value + 1.0)) / _logRange);
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.random.log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique,
    /// range_max, seed)</c>: <paramref name="numSampled"/> classes from the log-uniform (Zipfian)
    /// distribution over [0, <paramref name="rangeMax"/>) (class ids sorted by decreasing
    /// frequency), without repeats when <paramref name="unique"/>, and the expected counts.
    /// </summary>
    public CandidateSamples LogUniformCandidateSampler(Output trueClasses, int numTrue, int numSampled, bool unique, long rangeMax,
        int? seed = null, string? name = null) =>
        CandidateSampler(LogUniformCandidateSamplerSpec.OpType, trueClasses, numTrue, numSampled, unique, seed, name,
            NamedAttr("range_max", Attr.Int(rangeMax)));
}
