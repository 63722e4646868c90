using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// LearnedUnigramCandidateSampler: candidates from a unigram distribution learned during
/// training (TF's UnigramSampler over a WeightedPicker): every class starts with weight 1 and
/// gains 1 each time it is a true class of a run (after that run's sampling, capped so the total
/// stays below 2³¹ − 1). P(k) = weight(k) / total. The weights live with the node in its session
/// and are not saved in checkpoints, as in TF.
/// </summary>
internal sealed class LearnedUnigramCandidateSamplerSpec : CandidateSamplerSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = SamplerAttrs(rangeMax: true);

    public const string OpType = "LearnedUnigramCandidateSampler";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF's <c>UnigramCandidateSamplerShapeFn</c>.</summary>
    protected override void InferMore(InferContext c)
    {
        if (c.AttrInt("range_max") >= int.MaxValue) throw c.Error("range_max must be less than 2147483647 for unigram samplers");
    }

    protected override RangeSampler CreateSampler(Operation op)
    {
        long range = op.GetAttrInt("range_max");
        if (range >= int.MaxValue) throw new InvalidArgumentException($"range_max must be less than {int.MaxValue} for unigram samplers, got {range}");
        return new Sampler((int)range);
    }

    /// <summary>Integer weights in a Fenwick tree: picking and updating are O(log range).</summary>
    private sealed class Sampler : RangeSampler
    {
        private readonly long[] _tree;
        private readonly int[] _weight;
        private long _total;

        public Sampler(int range) : base(range)
        {
            _tree = new long[range + 1];
            _weight = new int[range];
            for (int i = 0; i < range; i++) Add(i, 1);
        }

        private void Add(int i, int delta)
        {
            _weight[i] += delta;
            _total += delta;
            for (int j = i + 1; j < _tree.Length; j += j & -j) _tree[j] += delta;
        }

        public override bool NeedsUpdates => true;

        public override long Sample(RandomStream rnd)
        {
            long r = rnd.NextInt64(0, _total);
            // The smallest index whose prefix sum exceeds r.
            int pos = 0;
            int step = 1;
            while (step * 2 < _tree.Length) step *= 2;
            for (; step > 0; step >>= 1)
            {
                int next = pos + step;
                if (next < _tree.Length && _tree[next] <= r)
                {
                    pos = next;
                    r -= _tree[next];
                }
            }
            return pos;
        }

        public override float Probability(long value) => (float)_weight[value] / _total;

        public override void Update(ReadOnlySpan<long> values)
        {
            int n = (int)Math.Min(values.Length, int.MaxValue - _total);
            for (int i = 0; i < n; i++) Add((int)values[i], 1);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.random.learned_unigram_candidate_sampler(true_classes, num_true, num_sampled,
    /// unique, range_max, seed)</c>: <paramref name="numSampled"/> classes from the unigram
    /// distribution of the true classes seen so far by this node (every class starts at count 1).
    /// </summary>
    public CandidateSamples LearnedUnigramCandidateSampler(Output trueClasses, int numTrue, int numSampled, bool unique, long rangeMax,
        int? seed = null, string? name = null) =>
        CandidateSampler(LearnedUnigramCandidateSamplerSpec.OpType, trueClasses, numTrue, numSampled, unique, seed, name,
            NamedAttr("range_max", Attr.Int(rangeMax)));
}
