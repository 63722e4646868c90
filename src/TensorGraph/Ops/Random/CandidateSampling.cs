using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// The three outputs of a candidate sampler (TF's <c>*_candidate_sampler</c> tuple), also what
/// <c>Graph.NceLoss</c> and <c>Graph.SampledSoftmaxLoss</c> take as sampled values.
/// </summary>
/// <param name="SampledCandidates">int64 [num_sampled]: the sampled class ids.</param>
/// <param name="TrueExpectedCount">float [batch_size, num_true]: how often each true class is expected in a batch of samples.</param>
/// <param name="SampledExpectedCount">float [num_sampled]: the same for each sampled class.</param>
public sealed record CandidateSamples(Output SampledCandidates, Output TrueExpectedCount, Output SampledExpectedCount);

/// <summary>
/// TF's <c>RangeSampler</c> (core/kernels/range_sampler.cc): draws values in [0, range) and knows
/// each value's probability. <see cref="SampleBatchGetExpectedCount"/> is TF's
/// <c>SampleBatchGetExpectedCountAvoid</c> without avoided values: with <c>unique</c> it draws
/// until it has as many distinct values as the batch and counts the tries, and the expected
/// counts are <c>ExpectedCountHelper</c>'s: <c>p · batch_size</c> when every try was kept,
/// otherwise <c>−expm1(num_tries · log1p(−p))</c>, the chance of appearing at least once in
/// num_tries draws.
/// </summary>
internal abstract class RangeSampler(long range)
{
    /// <summary>Values are in [0, Range).</summary>
    public long Range { get; } = range;

    /// <summary>One draw.</summary>
    public abstract long Sample(RandomStream rnd);

    /// <summary>The probability that one draw gives <paramref name="value"/>.</summary>
    public abstract float Probability(long value);

    /// <summary>True for samplers that learn from the true classes (<see cref="Update"/>).</summary>
    public virtual bool NeedsUpdates => false;

    /// <summary>Learns from the true classes of a batch (the learned unigram sampler).</summary>
    public virtual void Update(ReadOnlySpan<long> values)
    {
    }

    /// <summary>Fills <paramref name="batch"/> and the expected counts of the batch and of <paramref name="extras"/>.</summary>
    public virtual void SampleBatchGetExpectedCount(RandomStream rnd, bool unique, Span<long> batch, Span<float> batchExpectedCount,
        ReadOnlySpan<long> extras, Span<float> extrasExpectedCount)
    {
        int batchSize = batch.Length;
        int numTries;
        if (unique)
        {
            if (batchSize > Range) throw new InternalException($"unique sampling of {batchSize} values from a range of {Range}");
            var used = new HashSet<long>(batchSize);
            int picked = 0;
            numTries = 0;
            while (picked < batchSize)
            {
                numTries++;
                if (numTries == int.MaxValue) throw new InternalException("candidate sampler: too many tries");
                long v = Sample(rnd);
                if (used.Add(v)) batch[picked++] = v;
            }
        }
        else
        {
            for (int i = 0; i < batchSize; i++) batch[i] = Sample(rnd);
            numTries = batchSize;
        }
        for (int i = 0; i < batchExpectedCount.Length; i++) batchExpectedCount[i] = ExpectedCount(Probability(batch[i]), batchSize, numTries);
        for (int i = 0; i < extras.Length; i++) extrasExpectedCount[i] = ExpectedCount(Probability(extras[i]), batchSize, numTries);
    }

    /// <summary>TF's <c>ExpectedCountHelper</c> (float arithmetic, as in TF).</summary>
    public static float ExpectedCount(float p, int batchSize, int numTries)
    {
        if (numTries == batchSize) return p * batchSize;
        // numerically stable 1 − (1 − p)^num_tries, in float as TF computes it
        float log1p = (float)AccurateMath.Log1p(-p);
        return -(float)AccurateMath.Expm1(numTries * log1p);
    }
}

/// <summary>
/// What the candidate sampler ops share (TF's <c>BaseCandidateSamplerOp</c> and
/// <c>CandidateSamplerShapeFn</c>): one int64 input <c>true_classes</c> [batch_size, num_true],
/// the three outputs, the attrs num_true, num_sampled, unique (range_max where the op has it) and
/// seed/seed2, statefulness (successive runs continue one random stream per node and session,
/// seeded by (seed, seed2)), no gradient, and the kernel: it checks the true classes, draws
/// num_sampled candidates with the op's <see cref="RangeSampler"/> and, for a learning sampler,
/// updates it with the true classes afterwards. The stream is this library's (xoshiro256**), not
/// TF's Philox, so a seed gives the same samples here run after run but not TF's samples.
/// </summary>
internal abstract class CandidateSamplerSpec : OpSpec
{
    /// <summary>The attrs in TF's order: num_true, num_sampled, unique, [range_max], <paramref name="extra"/>, seed, seed2.</summary>
    protected static IReadOnlyList<AttrSpec> SamplerAttrs(bool rangeMax, params AttrSpec[] extra) =>
    [
        new("num_true", "int", Minimum: 1),
        new("num_sampled", "int", Minimum: 1),
        new("unique", "bool"),
        .. rangeMax ? new AttrSpec[] { new("range_max", "int", Minimum: 1) } : [],
        .. extra,
        new("seed", "int", Attr.Int(0)),
        new("seed2", "int", Attr.Int(0)),
    ];

    /// <summary>TF: <c>ops.NotDifferentiable</c> for every sampler.</summary>
    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["true_classes: int64"];

    protected override string[] OutputArgs => ["sampled_candidates: int64", "true_expected_count: float", "sampled_expected_count: float"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Int64);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 2) throw c.Error($"Shape must be rank 2 but is rank {s.Rank} for true_classes {s}");
        int batch = s.IsRankKnown ? s[0] : -1;
        foreach (var a in Attrs)
        {
            if (a is { Type: "int", Minimum: { } min } && c.AttrInt(a.Name) < min)
                throw c.Error($"Value for attr '{a.Name}' of {c.AttrInt(a.Name)} must be at least minimum {min}");
        }
        int numSampled = checked((int)c.AttrInt("num_sampled")), numTrue = checked((int)c.AttrInt("num_true"));
        InferMore(c);
        c.AddOutput(DType.Int64, new Shape(numSampled));
        c.AddOutput(DType.Float32, new Shape(batch, numTrue));
        c.AddOutput(DType.Float32, new Shape(numSampled));
    }

    /// <summary>Further build-time checks of a sampler's attrs.</summary>
    protected virtual void InferMore(InferContext c)
    {
    }

    /// <summary>The op's sampler, built from its attrs when the kernel is (TF builds it in the kernel's constructor).</summary>
    protected abstract RangeSampler CreateSampler(Operation op);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        int numTrue = (int)op.GetAttrInt("num_true"), numSampled = (int)op.GetAttrInt("num_sampled");
        bool unique = op.GetAttrBool("unique");
        var state = b.OpState(() => new SamplerState(new RandomStream(op.GetAttrInt("seed"), op.GetAttrInt("seed2")), CreateSampler(op)));
        return new LambdaKernel(ctx =>
        {
            var trueClasses = ctx.Input(0);
            if (trueClasses.Rank != 2) throw new InvalidArgumentException("true_classes must be a matrix");
            int batch = trueClasses.Dims[0];
            if (trueClasses.Dims[1] != numTrue)
                throw new InvalidArgumentException($"true_classes must have num_true columns, expected: {trueClasses.Dims[1]} was: {numTrue}");
            var sampler = state.Sampler;
            if (unique && numSampled > sampler.Range) throw new InvalidArgumentException("Sampler's range is too small.");
            ReadOnlySpan<long> trueCandidates = trueClasses.Span<long>();
            foreach (long t in trueCandidates)
            {
                if (t < 0 || t >= sampler.Range)
                    throw new InvalidArgumentException($"`true_candidate` out of range [0, {sampler.Range}), received {t}");
            }
            var sampled = ctx.AllocateOutput(0, DType.Int64, [numSampled]).Span<long>();
            var trueExpected = ctx.AllocateOutput(1, DType.Float32, [batch, numTrue]).Span<float>();
            var sampledExpected = ctx.AllocateOutput(2, DType.Float32, [numSampled]).Span<float>();
            lock (state.Stream.Sync)
            {
                sampler.SampleBatchGetExpectedCount(state.Stream, unique, sampled, sampledExpected, trueCandidates, trueExpected);
                if (sampler.NeedsUpdates) sampler.Update(trueCandidates);
            }
        });
    }

    /// <summary>A node's random stream and sampler for one session.</summary>
    private sealed record SamplerState(RandomStream Stream, RangeSampler Sampler);
}

public sealed partial class Graph
{
    /// <summary>The attrs every sampler builder passes: num_true, num_sampled, unique, seed, seed2 (from <see cref="GetSeed"/>), then <paramref name="extra"/>.</summary>
    internal CandidateSamples CandidateSampler(string type, Output trueClasses, int numTrue, int numSampled, bool unique, int? seed, string? name,
        params KeyValuePair<string, AttrValue>[] extra)
    {
        var (s1, s2) = GetSeed(seed);
        var outs = AddOp(type, [trueClasses], name, type,
        [
            NamedAttr("num_true", Attr.Int(numTrue)), NamedAttr("num_sampled", Attr.Int(numSampled)), NamedAttr("unique", Attr.Bool(unique)),
            NamedAttr("seed", Attr.Int(s1)), NamedAttr("seed2", Attr.Int(s2)), .. extra,
        ]);
        return new CandidateSamples(outs[0], outs[1], outs[2]);
    }
}
