using TensorGraph.Training;

namespace TensorGraph.Tests.Ops;

/// <summary>
/// tf.nn.nce_loss and tf.nn.sampled_softmax_loss (TF 1.15 nn_impl): values with given samples
/// against a direct computation of TF's formula, gradients, node names, and a small
/// word2vec-style training run.
/// </summary>
public class SampledLossTests
{
    private const int Classes = 7, Dim = 3;

    private static double[,] W => new double[Classes, Dim]
    {
        { 0.1, -0.2, 0.3 }, { 0.5, 0.4, -0.1 }, { -0.3, 0.2, 0.2 }, { 0.0, 0.7, -0.5 },
        { 0.25, -0.6, 0.1 }, { -0.4, -0.1, 0.6 }, { 0.3, 0.3, 0.3 },
    };

    private static double[] B => [0.1, -0.1, 0.05, 0.2, -0.3, 0, 0.15];

    private static double[,] X => new[,] { { 1.0, 0.5, -1 }, { -0.5, 2, 0.3 } };

    /// <summary>TF's _compute_sampled_logits then the loss, directly: logits − log Q, labels 1/num_true.</summary>
    private static double[] Reference(long[,] labels, long[] sampled, double[,] trueCount, double[] sampledCount, bool removeHits, bool softmax)
    {
        int batch = labels.GetLength(0), nt = labels.GetLength(1), ns = sampled.Length;
        var w = W;
        var b = B;
        var x = X;
        double Logit(int i, long c)
        {
            double v = b[c];
            for (int d = 0; d < Dim; d++) v += x[i, d] * w[c, d];
            return v;
        }
        var loss = new double[batch];
        for (int i = 0; i < batch; i++)
        {
            var logits = new List<double>();
            var labs = new List<double>();
            for (int j = 0; j < nt; j++)
            {
                logits.Add(Logit(i, labels[i, j]) - Math.Log(trueCount[i, j]));
                labs.Add(1.0 / nt);
            }
            for (int k = 0; k < ns; k++)
            {
                double l = Logit(i, sampled[k]);
                bool hit = false;
                for (int j = 0; j < nt; j++) hit |= labels[i, j] == sampled[k];
                if (removeHits && hit) l += -float.MaxValue;
                logits.Add(l - Math.Log(sampledCount[k]));
                labs.Add(0);
            }
            if (softmax)
            {
                double m = logits.Max(), z = logits.Sum(v => Math.Exp(v - m));
                loss[i] = -logits.Select((v, k) => labs[k] * (v - m - Math.Log(z))).Sum();
            }
            else
            {
                // sigmoid cross-entropy z·−log σ(x) + (1 − z)·−log(1 − σ(x)), summed over the row
                loss[i] = logits.Select((v, k) => Math.Max(v, 0) - v * labs[k] + Math.Log(1 + Math.Exp(-Math.Abs(v)))).Sum();
            }
        }
        return loss;
    }

    private static (Graph G, Output W, Output B, Output X, Output Loss) Build(bool softmax, long[,] labels, long[] sampled, double[,] trueCount,
        double[] sampledCount, bool removeHits)
    {
        var g = new Graph();
        var w = g.Placeholder(DType.Float64, [Classes, Dim], name: "w");
        var b = g.Placeholder(DType.Float64, [Classes], name: "b");
        var x = g.Placeholder(DType.Float64, [-1, Dim], name: "x");
        var sv = new CandidateSamples(g.Constant(sampled), g.Constant(trueCount), g.Constant(sampledCount));
        int nt = labels.GetLength(1);
        var loss = softmax
            ? g.SampledSoftmaxLoss(w, b, g.Constant(Tensor.FromArray(labels)), x, sampled.Length, Classes, nt, sv, removeHits)
            : g.NceLoss(w, b, g.Constant(Tensor.FromArray(labels)), x, sampled.Length, Classes, nt, sv, removeHits);
        return (g, w, b, x, loss);
    }

    private static readonly object[] Cases =
    [
        new object[] { false, false },
        new object[] { false, true },
        new object[] { true, false },
        new object[] { true, true },
    ];

    [TestCaseSource(nameof(Cases))]
    public void LossMatchesTfsFormulaWithGivenSamples(bool softmax, bool removeHits)
    {
        long[,] labels = { { 1, 4 }, { 2, 3 } };
        long[] sampled = [3, 0, 6, 1];
        double[,] tc = { { 0.3, 0.1 }, { 0.25, 0.2 } };
        double[] sc = [0.2, 0.6, 0.05, 0.3];
        var (g, w, b, x, loss) = Build(softmax, labels, sampled, tc, sc, removeHits);
        Assert.That(loss.Shape.IsCompatibleWith(new Shape(2)), Is.True);
        using var s = new Session(g);
        var got = s.Run(loss, new FeedDict { [w] = Tensor.FromArray(W), [b] = B, [x] = Tensor.FromArray(X) }).ToArray<double>();
        Assert.That(got, Is.EqualTo(Reference(labels, sampled, tc, sc, removeHits, softmax)).Within(1e-12));
    }

    [TestCaseSource(nameof(Cases))]
    public void LossGradientsMatchFiniteDifferences(bool softmax, bool removeHits)
    {
        long[,] labels = { { 1 }, { 5 } };
        long[] sampled = [5, 0, 2];
        double[,] tc = { { 0.3 }, { 0.25 } };
        double[] sc = [0.2, 0.6, 0.4];
        var (g, w, b, x, loss) = Build(softmax, labels, sampled, tc, sc, removeHits);
        using var s = new Session(g);
        Tensor wv = Tensor.FromArray(W), bv = B, xv = Tensor.FromArray(X);
        Assert.That(GradientChecker.Compute(s, w, wv, loss, new FeedDict { [b] = bv, [x] = xv }, 1e-6).MaxRelativeError, Is.LessThan(1e-7));
        Assert.That(GradientChecker.Compute(s, b, bv, loss, new FeedDict { [w] = wv, [x] = xv }, 1e-6).MaxRelativeError, Is.LessThan(1e-7));
        Assert.That(GradientChecker.Compute(s, x, xv, loss, new FeedDict { [w] = wv, [b] = bv }, 1e-6).MaxRelativeError, Is.LessThan(1e-7));
    }

    [TestCase("mod")]
    [TestCase("div")]
    public void PartitionedWeightsGiveTheUnpartitionedLoss(string strategy)
    {
        long[,] labels = { { 1, 4 }, { 2, 6 } };
        long[] sampled = [3, 0, 6, 5];
        double[,] tc = { { 0.3, 0.1 }, { 0.25, 0.2 } };
        double[] sc = [0.2, 0.6, 0.05, 0.3];
        // mod: part p holds rows p, p + 2, …; div: rows 0–3 and 4–6.
        int[][] rows = strategy == "mod" ? [[0, 2, 4, 6], [1, 3, 5]] : [[0, 1, 2, 3], [4, 5, 6]];
        var g = new Graph();
        var w = W;
        var parts = rows.Select(r =>
        {
            var a = new double[r.Length, Dim];
            for (int i = 0; i < r.Length; i++)
                for (int d = 0; d < Dim; d++) a[i, d] = w[r[i], d];
            return g.Constant(Tensor.FromArray(a));
        }).ToArray();
        var sv = new CandidateSamples(g.Constant(sampled), g.Constant(tc), g.Constant(sc));
        var lab = g.Constant(Tensor.FromArray(labels));
        var nce = g.NceLoss(parts, g.Constant(B), lab, g.Constant(X), 4, Classes, 2, sv, partitionStrategy: strategy);
        var ssm = g.SampledSoftmaxLoss(parts, g.Constant(B), lab, g.Constant(X), 4, Classes, 2, sv, partitionStrategy: strategy);
        using var s = new Session(g);
        Assert.That(s.Run(nce).ToArray<double>(), Is.EqualTo(Reference(labels, sampled, tc, sc, false, false)).Within(1e-12));
        Assert.That(s.Run(ssm).ToArray<double>(), Is.EqualTo(Reference(labels, sampled, tc, sc, true, true)).Within(1e-12));
    }

    [Test]
    public void WithAllClassesSampledTheSampledSoftmaxIsTheFullSoftmax()
    {
        // AllCandidateSampler: every class with expected count 1, accidental hits removed: the full softmax loss.
        var g = new Graph();
        long[,] labels = { { 2 }, { 6 } };
        var lab = g.Constant(Tensor.FromArray(labels));
        var sv = g.AllCandidateSampler(lab, 1, Classes, true);
        Output F(Tensor t) => g.Constant(t.Cast(DType.Float32));
        var loss = g.SampledSoftmaxLoss(F(Tensor.FromArray(W)), F(B), lab, F(Tensor.FromArray(X)), Classes, Classes, sampledValues: sv);
        using var s = new Session(g);
        var got = s.Run(loss).ToArray<float>();
        for (int i = 0; i < 2; i++)
        {
            var z = Enumerable.Range(0, Classes).Select(c => B[c] + Enumerable.Range(0, Dim).Sum(d => X[i, d] * W[c, d])).ToArray();
            double m = z.Max(), lse = m + Math.Log(z.Sum(v => Math.Exp(v - m)));
            Assert.That(got[i], Is.EqualTo(lse - z[labels[i, 0]]).Within(1e-5));
        }
    }

    [Test]
    public void LossesBuildTfsNodes()
    {
        var g = new Graph();
        var w = g.Constant(Tensor.FromArray(W).Cast(DType.Float32));
        var b = g.Constant(Tensor.FromArray(B).Cast(DType.Float32));
        var x = g.Constant(Tensor.FromArray(X).Cast(DType.Float32));
        var lab = g.Constant(new[,] { { 1 }, { 3 } });
        var nce = g.NceLoss(w, b, lab, x, 3, Classes, seed: 5);
        var ssm = g.SampledSoftmaxLoss(w, b, lab, x, 3, Classes, seed: 6);
        var names = g.Operations.Select(o => o.Name).ToHashSet();
        Assert.That(names, Is.SupersetOf(new[]
        {
            "nce_loss/Cast", "nce_loss/LogUniformCandidateSampler", "nce_loss/embedding_lookup", "nce_loss/MatMul", "nce_loss/sub",
            "nce_loss/concat", "sampled_losses", "sampled_softmax_loss/ComputeAccidentalHits", "sampled_softmax_loss/SparseToDense",
            "sampled_softmax_loss/sparse_indices", "labels_stop_gradient", "softmax_cross_entropy_with_logits",
        }));
        Assert.That(g.Operations.Single(o => o.Name == "nce_loss/LogUniformCandidateSampler").GetAttrBool("unique"), Is.True);
        Assert.That(g.Operations.Single(o => o.Name == "nce_loss/LogUniformCandidateSampler").GetAttrInt("range_max"), Is.EqualTo(Classes));
        using var s = new Session(g);
        var o = s.Run([nce, ssm]);
        Assert.That(o[0].Dims.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(o[0].ToArray<float>(), Is.All.GreaterThan(0f));
        Assert.That(o[1].ToArray<float>(), Is.All.GreaterThan(0f));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WordToVecStyleTrainingLowersTheLoss(bool softmax)
    {
        // Skip-gram pairs: word c predicts (c + 1) mod V and (c + 3) mod V; the loss with fixed samples must fall clearly.
        const int vocab = 30, dim = 8, batch = 30, numSampled = 6;
        var g = new Graph { Seed = 11 };
        var emb = g.Variable(g.RandomUniform([vocab, dim], -1, 1, seed: 1), name: "embeddings");
        var nceW = g.Variable(g.TruncatedNormal([vocab, dim], stddev: 1.0 / Math.Sqrt(dim), seed: 2), name: "nce_weights");
        var nceB = g.Variable(Tensor.Zeros(DType.Float32, [vocab]), name: "nce_biases");
        var centers = g.Placeholder(DType.Int32, [batch], name: "centers");
        var contexts = g.Placeholder(DType.Int64, [batch, 1], name: "contexts");
        var embed = g.EmbeddingLookup(emb, centers);
        var perExample = softmax
            ? g.SampledSoftmaxLoss(nceW.Value, nceB.Value, contexts, embed, numSampled, vocab, seed: 3)
            : g.NceLoss(nceW.Value, nceB.Value, contexts, embed, numSampled, vocab, seed: 3);
        var loss = g.ReduceMean(perExample);
        var train = new GradientDescentOptimizer(0.5).Minimize(loss);
        var rnd = new Random(5);
        (Tensor C, Tensor X) Batch()
        {
            var c = new int[batch];
            var x = new long[batch, 1];
            for (int i = 0; i < batch; i++)
            {
                c[i] = rnd.Next(vocab);
                x[i, 0] = (c[i] + (rnd.Next(2) == 0 ? 1 : 3)) % vocab;
            }
            return (c, Tensor.FromArray(x));
        }
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        double Mean(int runs)
        {
            double sum = 0;
            for (int i = 0; i < runs; i++)
            {
                var (c, x) = Batch();
                sum += s.Run(loss, new FeedDict { [centers] = c, [contexts] = x }).Scalar<float>();
            }
            return sum / runs;
        }
        double before = Mean(20);
        for (int step = 0; step < 400; step++)
        {
            var (c, x) = Batch();
            s.Run(train, new FeedDict { [centers] = c, [contexts] = x });
        }
        double after = Mean(20);
        Assert.That(after, Is.LessThan(before * 0.6), $"loss {before} → {after}");
    }
}
