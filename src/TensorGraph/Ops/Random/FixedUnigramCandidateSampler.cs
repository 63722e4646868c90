using System.Globalization;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// FixedUnigramCandidateSampler: candidates from a fixed unigram distribution (TF's
/// FixedUnigramSampler): the weights are <c>unigrams</c> or the last comma-separated field of each
/// line of <c>vocab_file</c> (exactly one of the two), each raised to <c>distortion</c>, after
/// <c>num_reserved_ids</c> ids of weight 0; with <c>num_shards</c> &gt; 1 only the ids with
/// id mod num_shards = shard are kept. Their count must equal range_max. P(k) = w(k) / Σw.
/// </summary>
internal sealed class FixedUnigramCandidateSamplerSpec : CandidateSamplerSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = SamplerAttrs(rangeMax: true,
        new("vocab_file", "string", Attr.String("")),
        new("distortion", "float", Attr.Float(1)),
        new("num_reserved_ids", "int", Attr.Int(0)),
        new("num_shards", "int", Attr.Int(1), Minimum: 1),
        new("shard", "int", Attr.Int(0), Minimum: 0),
        new("unigrams", "list(float)", new Proto.AttrValue { List = new() }));

    public const string OpType = "FixedUnigramCandidateSampler";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override RangeSampler CreateSampler(Operation op)
    {
        long range = op.GetAttrInt("range_max");
        string vocabFile = op.GetAttrString("vocab_file");
        var unigrams = op.GetAttr("unigrams").List?.F.ToArray() ?? [];
        if (vocabFile.Length == 0 && unigrams.Length == 0) throw new InvalidArgumentException("Must provide either vocab_file or unigrams.");
        if (vocabFile.Length != 0 && unigrams.Length != 0) throw new InvalidArgumentException("Must only provide one of vocab_file and unigrams.");
        float distortion = op.GetAttrFloat("distortion");
        long numReserved = op.GetAttrInt("num_reserved_ids"), numShards = op.GetAttrInt("num_shards"), shard = op.GetAttrInt("shard");
        var weights = new List<float>();
        float total = 0;
        for (long id = 0; id < numReserved; id++)
        {
            if (id % numShards == shard) weights.Add(0);
        }
        long wordId = weights.Count;
        void Take(float w)
        {
            if (wordId % numShards == shard)
            {
                w = MathF.Pow(w, distortion);
                total += w;
                weights.Add(w);
            }
            wordId++;
        }
        if (vocabFile.Length != 0)
        {
            IEnumerable<string> lines;
            try
            {
                lines = File.ReadLines(vocabFile).ToArray();
            }
            catch (IOException e)
            {
                throw new NotFoundException($"{vocabFile}; {e.Message}");
            }
            foreach (var line in lines)
            {
                var last = line[(line.LastIndexOf(',') + 1)..].Trim();
                if (!float.TryParse(last, NumberStyles.Float, CultureInfo.InvariantCulture, out float w))
                    throw new InvalidArgumentException($"Wrong vocabulary format at line: {line}");
                Take(w);
            }
        }
        else
        {
            foreach (float w in unigrams) Take(w);
        }
        if (range != weights.Count) throw new InvalidArgumentException($"range is {range} must be equal to weights size  {weights.Count}");
        return new Sampler([.. weights], total);
    }

    /// <summary>Draws by binary search over the cumulative weights (TF uses an alias table; the distribution is the same).</summary>
    private sealed class Sampler : RangeSampler
    {
        private readonly float[] _weights;
        private readonly double[] _cumulative;
        private readonly float _total;

        public Sampler(float[] weights, float total) : base(weights.Length)
        {
            _weights = weights;
            _total = total;
            _cumulative = new double[weights.Length];
            double acc = 0;
            for (int i = 0; i < weights.Length; i++) _cumulative[i] = acc += weights[i];
        }

        public override long Sample(RandomStream rnd)
        {
            double r = rnd.NextDouble() * _cumulative[^1];
            int lo = 0, hi = _cumulative.Length - 1;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_cumulative[mid] > r) hi = mid;
                else lo = mid + 1;
            }
            return lo;
        }

        public override float Probability(long value) => value < 0 || value >= _weights.Length ? 0 : _weights[value] / _total;
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.random.fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled,
    /// unique, range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams,
    /// seed)</c>: <paramref name="numSampled"/> classes from the fixed distribution given by
    /// <paramref name="unigrams"/> (or the weights in <paramref name="vocabFile"/>), each weight
    /// raised to <paramref name="distortion"/>.
    /// </summary>
    public CandidateSamples FixedUnigramCandidateSampler(Output trueClasses, int numTrue, int numSampled, bool unique, long rangeMax,
        float[]? unigrams = null, string vocabFile = "", float distortion = 1, int numReservedIds = 0, int numShards = 1, int shard = 0,
        int? seed = null, string? name = null)
    {
        var list = new Proto.AttrValue { List = new() };
        if (unigrams is not null) list.List.F.AddRange(unigrams);
        return CandidateSampler(FixedUnigramCandidateSamplerSpec.OpType, trueClasses, numTrue, numSampled, unique, seed, name,
            NamedAttr("range_max", Attr.Int(rangeMax)), NamedAttr("vocab_file", Attr.String(vocabFile)), NamedAttr("distortion", Attr.Float(distortion)),
            NamedAttr("num_reserved_ids", Attr.Int(numReservedIds)), NamedAttr("num_shards", Attr.Int(numShards)), NamedAttr("shard", Attr.Int(shard)),
            NamedAttr("unigrams", list));
    }
}
