using TensorGraph.Rnn;
using TensorGraph.Training;

namespace TensorGraph.Tests.Rnn;

/// <summary>
/// tf.contrib.crf: sequence scores and the log partition function against a brute-force
/// enumeration of every tag sequence, a normalized likelihood, Viterbi decoding (in the graph and
/// on the host) against the brute-force argmax, finite-difference gradients of the
/// log-likelihood, a few training steps, and the time-dimension-1 path (static and by cond).
/// </summary>
public class CrfTests
{
    private const int N = 3;

    private static readonly int[] Lengths = [4, 1, 3, 2];

    private static double[,,] Unary(int batch, int time, int seed)
    {
        var rng = new Random(seed);
        var u = new double[batch, time, N];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++)
                for (int j = 0; j < N; j++) u[b, t, j] = rng.NextDouble() * 4 - 2;
        return u;
    }

    private static double[,] Transitions(int seed)
    {
        var rng = new Random(seed);
        var a = new double[N, N];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) a[i, j] = rng.NextDouble() * 2 - 1;
        return a;
    }

    /// <summary>Every tag sequence of length <paramref name="len"/> over N tags.</summary>
    private static IEnumerable<int[]> AllSequences(int len)
    {
        int total = (int)Math.Pow(N, len);
        for (int k = 0; k < total; k++)
        {
            var s = new int[len];
            int r = k;
            for (int t = len - 1; t >= 0; t--)
            {
                s[t] = r % N;
                r /= N;
            }
            yield return s;
        }
    }

    /// <summary>The score of <paramref name="tags"/> for example <paramref name="b"/>: unary terms plus transitions, written out.</summary>
    private static double Score(double[,,] u, double[,] a, int b, int[] tags)
    {
        double s = 0;
        for (int t = 0; t < tags.Length; t++)
        {
            s += u[b, t, tags[t]];
            if (t > 0) s += a[tags[t - 1], tags[t]];
        }
        return s;
    }

    private static double BruteLogNorm(double[,,] u, double[,] a, int b, int len) =>
        Math.Log(AllSequences(len).Sum(s => Math.Exp(Score(u, a, b, s))));

    private static (int[] Tags, double Score) BruteArgmax(double[,,] u, double[,] a, int b, int len)
    {
        int[] best = [];
        double bestScore = double.NegativeInfinity;
        foreach (var s in AllSequences(len))
        {
            double v = Score(u, a, b, s);
            if (v > bestScore)
            {
                bestScore = v;
                best = s;
            }
        }
        return (best, bestScore);
    }

    private static int[,] RandomTags(int batch, int time, int seed)
    {
        var rng = new Random(seed);
        var tags = new int[batch, time];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++) tags[b, t] = rng.Next(N);
        return tags;
    }

    private static int[] Row(int[,] m, int b, int len) => [.. Enumerable.Range(0, len).Select(t => m[b, t])];

    [TestCase(false)]
    [TestCase(true)]
    public void SequenceScoreAndLogNormMatchBruteForce(bool unknownTime)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, unknownTime ? new Shape(-1, -1, N) : new Shape(4, 4, N), name: "x");
        var tags = g.Placeholder(DType.Int32, unknownTime ? new Shape(-1, -1) : new Shape(4, 4), name: "tags");
        var len = g.Placeholder(DType.Int32, [-1], name: "len");
        var trans = g.Placeholder(DType.Float64, [N, N], name: "trans");
        var score = g.CrfSequenceScore(x, tags, len, trans);
        var unary = g.CrfUnaryScore(tags, len, x);
        var binary = g.CrfBinaryScore(tags, len, trans);
        var logNorm = g.CrfLogNorm(x, len, trans);
        Assert.That(g.Operations.Any(o => o.Name.StartsWith("cond", StringComparison.Ordinal) && o.Type == "Switch"), Is.EqualTo(unknownTime), "an unknown time dimension decides by cond");
        var u = Unary(4, 4, 1);
        var a = Transitions(2);
        var tg = RandomTags(4, 4, 3);
        using var s = new Session(g);
        var r = s.Run([score, unary, binary, logNorm], new FeedDict
        {
            [x] = Tensor.FromArray(u), [tags] = Tensor.FromArray(tg), [len] = Lengths, [trans] = Tensor.FromArray(a),
        });
        for (int b = 0; b < 4; b++)
        {
            var seq = Row(tg, b, Lengths[b]);
            double unaryOnly = Enumerable.Range(0, seq.Length).Sum(t => u[b, t, seq[t]]);
            Assert.That(r[0].GetDouble(b), Is.EqualTo(Score(u, a, b, seq)).Within(1e-12), $"sequence score {b}");
            Assert.That(r[1].GetDouble(b), Is.EqualTo(unaryOnly).Within(1e-12), $"unary score {b}");
            Assert.That(r[2].GetDouble(b), Is.EqualTo(Score(u, a, b, seq) - unaryOnly).Within(1e-12), $"binary score {b}");
            Assert.That(r[3].GetDouble(b), Is.EqualTo(BruteLogNorm(u, a, b, Lengths[b])).Within(1e-12), $"log norm {b}");
        }
    }

    [Test]
    public void TimeDimensionOneTakesTheSingleStepBranchStaticallyAndByCond()
    {
        var u = Unary(3, 1, 5);
        var a = Transitions(6);
        int[,] tg = { { 2 }, { 0 }, { 1 } };
        int[] lens = [1, 1, 0];
        foreach (bool unknown in new[] { false, true })
        {
            var g = new Graph();
            var x = g.Placeholder(DType.Float64, unknown ? new Shape(-1, -1, N) : new Shape(3, 1, N));
            var tags = g.Placeholder(DType.Int32, unknown ? new Shape(-1, -1) : new Shape(3, 1));
            var len = g.Placeholder(DType.Int32, [3]);
            var trans = g.Constant(Tensor.FromArray(a));
            var score = g.CrfSequenceScore(x, tags, len, trans);
            var logNorm = g.CrfLogNorm(x, len, trans);
            var (decoded, best) = g.CrfDecode(x, trans, len);
            Assert.That(g.Operations.Any(o => o.Type == "Exit"), Is.EqualTo(unknown), "the forward loop is built only when T may be > 1");
            using var s = new Session(g);
            var r = s.Run([score, logNorm, decoded, best], new FeedDict { [x] = Tensor.FromArray(u), [tags] = Tensor.FromArray(tg), [len] = lens });
            Assert.That(decoded.DType, Is.EqualTo(DType.Int32));
            for (int b = 0; b < 3; b++)
            {
                bool empty = lens[b] <= 0;
                double lse = Math.Log(Enumerable.Range(0, N).Sum(j => Math.Exp(u[b, 0, j])));
                int arg = Enumerable.Range(0, N).MaxBy(j => u[b, 0, j]);
                Assert.That(r[0].GetDouble(b), Is.EqualTo(empty ? 0 : u[b, 0, tg[b, 0]]).Within(1e-12), $"score {b}, unknown T {unknown}");
                Assert.That(r[1].GetDouble(b), Is.EqualTo(empty ? 0 : lse).Within(1e-12), $"log norm {b}, unknown T {unknown}");
                Assert.That(r[2].GetInt64(b), Is.EqualTo(arg), $"decode {b}");
                Assert.That(r[3].GetDouble(b), Is.EqualTo(u[b, 0, arg]).Within(1e-12), $"best score {b}");
            }
        }
    }

    [Test]
    public void UnknownTimeDimensionRunsBothBranchesOfTheSameGraph()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(-1, -1, N));
        var tags = g.Placeholder(DType.Int32, new Shape(-1, -1));
        var len = g.Placeholder(DType.Int32, [-1]);
        var trans = g.Constant(Tensor.FromArray(Transitions(8)));
        var (ll, _) = g.CrfLogLikelihood(x, tags, len, trans);
        var (decoded, best) = g.CrfDecode(x, trans, len);
        var a = Transitions(8);
        using var s = new Session(g);
        foreach (int time in new[] { 1, 4, 3 })
        {
            var u = Unary(4, time, 10 + time);
            var tg = RandomTags(4, time, 20 + time);
            int[] lens = [.. Lengths.Select(l => Math.Min(l, time))];
            var r = s.Run([ll, decoded, best], new FeedDict { [x] = Tensor.FromArray(u), [tags] = Tensor.FromArray(tg), [len] = lens });
            Assert.That(r[1].Dims.ToArray(), Is.EqualTo(new[] { 4, time }));
            for (int b = 0; b < 4; b++)
            {
                var seq = Row(tg, b, lens[b]);
                Assert.That(r[0].GetDouble(b), Is.EqualTo(Score(u, a, b, seq) - BruteLogNorm(u, a, b, lens[b])).Within(1e-12), $"T={time} b={b}");
                var (bestTags, bestScore) = BruteArgmax(u, a, b, lens[b]);
                for (int t = 0; t < time; t++)
                    Assert.That(r[1].GetInt64(b * time + t), Is.EqualTo(t < lens[b] ? bestTags[t] : 0), $"T={time} b={b} t={t}");
                Assert.That(r[2].GetDouble(b), Is.EqualTo(bestScore).Within(1e-12));
            }
        }
    }

    [Test]
    public void LogLikelihoodIsAtMostZeroAndItsExpSumsToOneOverAllSequences()
    {
        var u = Unary(1, 4, 30);
        var a = Transitions(31);
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(-1, 4, N));
        var tags = g.Placeholder(DType.Int32, new Shape(-1, 4));
        var len = g.Placeholder(DType.Int32, [-1]);
        var (ll, _) = g.CrfLogLikelihood(x, tags, len, g.Constant(Tensor.FromArray(a)));
        using var s = new Session(g);
        for (int l = 1; l <= 4; l++)
        {
            // One batch row per tag sequence of length l (padded with tag 2, which must not matter).
            var seqs = AllSequences(l).ToArray();
            var xs = new double[seqs.Length, 4, N];
            var ts = new int[seqs.Length, 4];
            for (int k = 0; k < seqs.Length; k++)
            {
                for (int t = 0; t < 4; t++)
                {
                    for (int j = 0; j < N; j++) xs[k, t, j] = u[0, t, j];
                    ts[k, t] = t < l ? seqs[k][t] : 2;
                }
            }
            var r = s.Run(ll, new FeedDict { [x] = Tensor.FromArray(xs), [tags] = Tensor.FromArray(ts), [len] = Enumerable.Repeat(l, seqs.Length).ToArray() });
            var values = r.ToArray<double>();
            Assert.That(values, Has.All.LessThanOrEqualTo(0.0), $"length {l}");
            Assert.That(values.Sum(Math.Exp), Is.EqualTo(1.0).Within(1e-12), $"length {l}");
        }
    }

    [Test]
    public void CrfDecodeAndViterbiDecodeEqualTheBruteForceArgmax()
    {
        var u = Unary(4, 4, 40);
        var a = Transitions(41);
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(4, 4, N));
        var len = g.Placeholder(DType.Int64, [4]);
        var trans = g.Placeholder(DType.Float32, [N, N]);
        var (decoded, best) = g.CrfDecode(x, trans, len);
        Assert.That(decoded.DType, Is.EqualTo(DType.Int32));
        Assert.That(best.DType, Is.EqualTo(DType.Float32));
        using var s = new Session(g);
        var uf = new float[4, 4, N];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 4; t++)
                for (int j = 0; j < N; j++) uf[b, t, j] = (float)u[b, t, j];
        var af = new float[N, N];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) af[i, j] = (float)a[i, j];
        var r = s.Run([decoded, best], new FeedDict
        {
            [x] = Tensor.FromArray(uf), [len] = Lengths.Select(l => (long)l).ToArray(), [trans] = Tensor.FromArray(af),
        });
        for (int b = 0; b < 4; b++)
        {
            int l = Lengths[b];
            var (bestTags, bestScore) = BruteArgmax(u, a, b, l);
            var graphTags = Enumerable.Range(0, 4).Select(t => (int)r[0].GetInt64(b * 4 + t)).ToArray();
            Assert.That(graphTags[..l], Is.EqualTo(bestTags), $"crf_decode {b}");
            Assert.That(graphTags[l..], Has.All.EqualTo(0), "padding is tag 0");
            Assert.That(r[1].GetDouble(b), Is.EqualTo(bestScore).Within(1e-5), $"best score {b}");

            var score = new float[l, N];
            for (int t = 0; t < l; t++)
                for (int j = 0; j < N; j++) score[t, j] = uf[b, t, j];
            var (viterbi, viterbiScore) = Crf.ViterbiDecode(score, af);
            Assert.That(viterbi, Is.EqualTo(bestTags), $"viterbi_decode {b}");
            Assert.That(viterbiScore, Is.EqualTo(bestScore).Within(1e-5));
            var (viterbi64, viterbiScore64) = Crf.ViterbiDecode(Slice(u, b, l), a);
            Assert.That(viterbi64, Is.EqualTo(bestTags));
            Assert.That(viterbiScore64, Is.EqualTo(bestScore).Within(1e-12));
        }
    }

    private static double[,] Slice(double[,,] u, int b, int len)
    {
        var r = new double[len, N];
        for (int t = 0; t < len; t++)
            for (int j = 0; j < N; j++) r[t, j] = u[b, t, j];
        return r;
    }

    [Test]
    public void ViterbiDecodeRefusesMismatchedShapes()
    {
        Assert.Throws<InvalidArgumentException>(() => Crf.ViterbiDecode(new float[2, 3], new float[2, 2]));
        Assert.Throws<InvalidArgumentException>(() => Crf.ViterbiDecode(new float[0, 3], new float[3, 3]));
    }

    [Test]
    public void LogLikelihoodGradientsMatchFiniteDifferences()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(4, 4, N), name: "x");
        var tags = g.Placeholder(DType.Int32, new Shape(4, 4), name: "tags");
        var len = g.Placeholder(DType.Int32, [4], name: "len");
        var trans = g.Placeholder(DType.Float64, [N, N], name: "trans");
        var (ll, _) = g.CrfLogLikelihood(x, tags, len, trans);
        var loss = g.ReduceSum(ll);
        var u = Tensor.FromArray(Unary(4, 4, 50));
        var a = Tensor.FromArray(Transitions(51));
        var tg = Tensor.FromArray(RandomTags(4, 4, 52));
        using var s = new Session(g);
        var cx = GradientChecker.Compute(s, x, u, loss, new FeedDict { [tags] = tg, [len] = Lengths, [trans] = a });
        Assert.That(cx.MaxRelativeError, Is.LessThan(1e-6), $"unary scores: {cx.MaxError}");
        var ca = GradientChecker.Compute(s, trans, a, loss, new FeedDict { [tags] = tg, [len] = Lengths, [x] = u });
        Assert.That(ca.MaxRelativeError, Is.LessThan(1e-6), $"transitions: {ca.MaxError}");
        // Padded steps get no gradient: x[1, 1:] lies past the length-1 sequence.
        var dx = s.Run(g.Gradients([loss], [x])[0]!.Value, new FeedDict { [x] = u, [tags] = tg, [len] = Lengths, [trans] = a });
        for (int t = 1; t < 4; t++)
            for (int j = 0; j < N; j++) Assert.That(dx.GetDouble((1 * 4 + t) * N + j), Is.EqualTo(0.0));
    }

    [Test]
    public void GradientsThroughTheCondOfAnUnknownTimeDimension()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(-1, -1, N), name: "x");
        var tags = g.Placeholder(DType.Int32, new Shape(-1, -1), name: "tags");
        var len = g.Placeholder(DType.Int32, [-1], name: "len");
        var trans = g.Placeholder(DType.Float64, [N, N], name: "trans");
        var (ll, _) = g.CrfLogLikelihood(x, tags, len, trans);
        var loss = g.ReduceSum(ll);
        var a = Tensor.FromArray(Transitions(61));
        using var s = new Session(g);
        foreach (int time in new[] { 3, 1 })
        {
            var u = Tensor.FromArray(Unary(2, time, 60 + time));
            var tg = Tensor.FromArray(RandomTags(2, time, 62 + time));
            int[] lens = [time, 1];
            var cx = GradientChecker.Compute(s, x, u, loss, new FeedDict { [tags] = tg, [len] = lens, [trans] = a });
            Assert.That(cx.MaxRelativeError, Is.LessThan(1e-6), $"T={time} unary scores: {cx.MaxError}");
            var ca = GradientChecker.Compute(s, trans, a, loss, new FeedDict { [tags] = tg, [len] = lens, [x] = u });
            Assert.That(ca.MaxRelativeError, Is.LessThan(1e-6), $"T={time} transitions: {ca.MaxError}");
        }
    }

    [Test]
    public void LogLikelihoodCreatesTheTransitionsVariableAndTrainingIncreasesTheLikelihood()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(4, 4, N), name: "x");
        var tags = g.Placeholder(DType.Int32, new Shape(4, 4), name: "tags");
        var len = g.Placeholder(DType.Int32, [4], name: "len");
        var w = g.GetVariable("unary", new Shape(4, 4, N), initializer: new Initializers.Zeros());
        Output ll, transitions;
        using (g.VariableScope("crf"))
            (ll, transitions) = g.CrfLogLikelihood(x + w.Value, tags, len);
        Assert.That(g.TryGetOperation("crf/transitions")?.Type, Is.EqualTo("VariableV2"));
        Assert.That(transitions.Shape, Is.EqualTo(new Shape(N, N)));
        Assert.That(g.TrainableVariables.Select(v => v.Op.Name), Is.EquivalentTo(new[] { "unary", "crf/transitions" }));
        var loss = g.ReduceMean(-ll);
        var train = new GradientDescentOptimizer(0.5).Minimize(loss);
        var uf = new float[4, 4, N];
        var u = Unary(4, 4, 70);
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 4; t++)
                for (int j = 0; j < N; j++) uf[b, t, j] = (float)u[b, t, j];
        var feeds = new FeedDict { [x] = Tensor.FromArray(uf), [tags] = Tensor.FromArray(RandomTags(4, 4, 71)), [len] = Lengths };
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        double before = s.Run(loss, feeds).GetDouble(0);
        double prev = before;
        for (int step = 0; step < 5; step++)
        {
            s.Run(train, feeds);
            double now = s.Run(loss, feeds).GetDouble(0);
            Assert.That(now, Is.LessThan(prev), $"step {step}");
            prev = now;
        }
        Assert.That(prev, Is.LessThan(before * 0.8));
    }

    [Test]
    public void AGraphDefRoundTripGivesTheSameLikelihoodAndDecoding()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, -1, N), name: "x");
        var tags = g.Placeholder(DType.Int64, new Shape(-1, -1), name: "tags");
        var len = g.Placeholder(DType.Int64, [-1], name: "len");
        var trans = g.Placeholder(DType.Float32, [N, N], name: "trans");
        var (ll, _) = g.CrfLogLikelihood(x, tags, len, trans);
        var (decoded, best) = g.CrfDecode(x, trans, len);
        g.Identity(ll, "ll");
        g.Identity(decoded, "decoded");
        g.Identity(best, "best");
        var imported = Graph.FromGraphDef(g.ToGraphDef());
        var u = Unary(4, 4, 80);
        var a = Transitions(81);
        var uf = new float[4, 4, N];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 4; t++)
                for (int j = 0; j < N; j++) uf[b, t, j] = (float)u[b, t, j];
        var af = new float[N, N];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) af[i, j] = (float)a[i, j];
        var tg = RandomTags(4, 4, 82);
        var tl = new long[4, 4];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 4; t++) tl[b, t] = tg[b, t];
        Tensor[] Run(Graph graph)
        {
            using var s = new Session(graph);
            return [.. s.Run([graph["ll:0"], graph["decoded:0"], graph["best:0"]], new FeedDict
            {
                [graph["x:0"]] = Tensor.FromArray(uf), [graph["tags:0"]] = Tensor.FromArray(tl),
                [graph["len:0"]] = Lengths.Select(l => (long)l).ToArray(), [graph["trans:0"]] = Tensor.FromArray(af),
            })];
        }
        var before = Run(g);
        var after = Run(imported);
        for (int k = 0; k < 3; k++)
        {
            Assert.That(after[k].DType, Is.EqualTo(before[k].DType));
            Assert.That(Enumerable.Range(0, after[k].Size).Select(after[k].GetDouble), Is.EqualTo(Enumerable.Range(0, before[k].Size).Select(before[k].GetDouble)));
        }
        for (int b = 0; b < 4; b++)
        {
            var seq = Row(tg, b, Lengths[b]);
            Assert.That(before[0].GetDouble(b), Is.EqualTo(Score(u, a, b, seq) - BruteLogNorm(u, a, b, Lengths[b])).Within(1e-4), "float32 int64-tag likelihood");
            Assert.That(before[2].GetDouble(b), Is.EqualTo(BruteArgmax(u, a, b, Lengths[b]).Score).Within(1e-4));
        }
    }

    [Test]
    public void BuildsTfsNodes()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2, 4, N), name: "x");
        var tags = g.Placeholder(DType.Int32, new Shape(2, 4), name: "tags");
        var len = g.Placeholder(DType.Int32, [2], name: "len");
        var (_, transitions) = g.CrfLogLikelihood(x, tags, len);
        var (decoded, _) = g.CrfDecode(x, transitions, len);
        Assert.That(transitions.Name, Is.EqualTo("transitions/read:0"));
        string[] expected =
        [
            "Equal/x", "Equal", "SequenceMask/Range", "rnn/while/ExpandDims", "rnn/while/ReduceLogSumExp/Max", "rnn/while/ReduceLogSumExp/StopGradient",
            "rnn/while/ReduceLogSumExp/Add", "ReduceLogSumExp/Log", "rnn_1/while/ArgMax", "rnn_1/while/Max", "ReverseSequence",
            "rnn_2/while/GatherNd", "ReverseSequence_1",
        ];
        foreach (var name in expected) Assert.That(g.TryGetOperation(name), Is.Not.Null, name);
        Assert.That(g.GetOperation("rnn_1/TensorArray").GetAttrType("dtype"), Is.EqualTo(DType.Int32), "backpointers are int32");
        Assert.That(decoded.Op.Type, Is.EqualTo("ReverseSequence"));
        Assert.That(g.Operations.Count(o => o.Type == "VariableV2"), Is.EqualTo(1));
    }

    [Test]
    public void MultitagScoreSumsTheAllowedSequencesAndIsTheSequenceScoreForOneHotBitmaps()
    {
        var u = Unary(4, 4, 90);
        var a = Transitions(91);
        var rng = new Random(92);
        var bitmap = new bool[4, 4, N];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 4; t++)
            {
                for (int j = 0; j < N; j++) bitmap[b, t, j] = rng.Next(2) == 0;
                bitmap[b, t, rng.Next(N)] = true;
            }
        var tg = RandomTags(4, 4, 93);
        var oneHot = new bool[4, 4, N];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 4; t++) oneHot[b, t, tg[b, t]] = true;
        var g = new Graph();
        var x = g.Constant(Tensor.FromArray(u));
        var len = g.Constant(Lengths);
        var trans = g.Constant(Tensor.FromArray(a));
        var multi = g.CrfMultitagSequenceScore(x, g.Constant(Tensor.FromArray(bitmap)), len, trans);
        var single = g.CrfMultitagSequenceScore(x, g.Constant(Tensor.FromArray(oneHot)), len, trans);
        var score = g.CrfSequenceScore(x, g.Constant(Tensor.FromArray(tg)), len, trans);
        using var s = new Session(g);
        var r = s.Run([multi, single, score]);
        for (int b = 0; b < 4; b++)
        {
            int bb = b;
            var allowed = AllSequences(Lengths[b]).Where(seq => seq.Select((tag, t) => bitmap[bb, t, tag]).All(ok => ok));
            double want = Math.Log(allowed.Sum(seq => Math.Exp(Score(u, a, bb, seq))));
            Assert.That(r[0].GetDouble(b), Is.EqualTo(want).Within(1e-12), $"multitag {b}");
            Assert.That(r[1].GetDouble(b), Is.EqualTo(r[2].GetDouble(b)).Within(1e-12), $"one-hot {b}");
        }
    }

    [Test]
    public void BadArgumentsFailWhenBuilt()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2, 3));
        var x3 = g.Placeholder(DType.Float32, new Shape(2, 3, -1));
        var tags = g.Placeholder(DType.Float32, new Shape(2, 3));
        var len = g.Placeholder(DType.Int32, [2]);
        var trans = g.Placeholder(DType.Float32, [N, N]);
        Assert.Throws<InvalidArgumentException>(() => g.CrfLogNorm(x, len, trans));
        Assert.Throws<InvalidArgumentException>(() => g.CrfLogLikelihood(x3, g.Placeholder(DType.Int32, new Shape(2, 3)), len));
        Assert.Throws<InvalidArgumentException>(() => g.CrfSequenceScore(g.Placeholder(DType.Float32, new Shape(2, 3, N)), tags, len, trans));
        Assert.Throws<InvalidArgumentException>(() => new CrfForwardRnnCell(g.Placeholder(DType.Float32, Shape.Unknown)));
    }
}
