namespace TensorGraph.Tests.Metrics;

/// <summary>
/// tf.metrics (TF 1.15's metrics_impl.py) over several update batches against formulas computed
/// here, the metric variables' names and collections, and the DivNoNan op they use.
/// </summary>
public class MetricsTests
{
    private static readonly float[][] LabelBatches = [[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 0]];
    private static readonly float[][] ScoreBatches = [[0.9f, 0.2f, 0.4f, 0.7f], [0.6f, 0.1f, 0.8f, 0.3f], [0.55f, 0.05f, 0.5f, 0.95f]];
    private static readonly float[][] WeightBatches = [[1, 2, 0.5f, 1], [0, 1, 3, 1], [2, 1, 1, 0.5f]];

    /// <summary>Runs the update op on each batch, checking it evaluates to the value after that batch, then returns the final value.</summary>
    private static float RunBatches(Graph g, Output labels, Output scores, Output weights, (Output Value, Output UpdateOp) m, bool weighted, Func<int, double> expectedAfter)
    {
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        Assert.That(s.Run(m.Value).Scalar<float>(), Is.EqualTo(0f), "a fresh metric reads 0");
        float last = 0;
        for (int b = 0; b < LabelBatches.Length; b++)
        {
            var feeds = new FeedDict { [labels] = LabelBatches[b], [scores] = ScoreBatches[b] };
            if (weighted) feeds[weights] = WeightBatches[b];
            var upd = s.Run(m.UpdateOp, feeds).Scalar<float>();
            last = s.Run(m.Value).Scalar<float>();
            Assert.That(upd, Is.EqualTo(last).Within(1e-6), $"update op after batch {b}");
            Assert.That(last, Is.EqualTo(expectedAfter(b)).Within(1e-5), $"value after batch {b}");
        }
        return last;
    }

    private static (Graph G, Output Labels, Output Scores, Output Weights) Inputs()
    {
        var g = new Graph();
        return (g, g.Placeholder(DType.Float32, new Shape(-1), "labels"), g.Placeholder(DType.Float32, new Shape(-1), "scores"),
            g.Placeholder(DType.Float32, new Shape(-1), "weights"));
    }

    private static IEnumerable<(int Batch, double Label, double Score, double Weight)> Upto(int batch, bool weighted)
    {
        for (int b = 0; b <= batch; b++)
            for (int i = 0; i < LabelBatches[b].Length; i++)
                yield return (b, LabelBatches[b][i], ScoreBatches[b][i], weighted ? WeightBatches[b][i] : 1);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void MeanIsTheWeightedMeanOfEverythingSeen(bool weighted)
    {
        var (g, labels, scores, weights) = Inputs();
        var m = TensorGraph.Metrics.Mean(scores, weighted ? weights : null);
        RunBatches(g, labels, scores, weights, m, weighted, b =>
        {
            var all = Upto(b, weighted).ToArray();
            return all.Sum(e => e.Score * e.Weight) / all.Sum(e => e.Weight);
        });
        Assert.That(g.LocalVariables.Select(v => v.Name), Is.EqualTo(new[] { "mean/total", "mean/count" }));
        Assert.That(g.GetCollection<Variable>(GraphKeys.MetricVariables).Select(v => v.Name), Is.EqualTo(new[] { "mean/total", "mean/count" }));
        Assert.That(g.GlobalVariables, Is.Empty);
        Assert.That(g.GetOperation("mean/total/Initializer/zeros").Type, Is.EqualTo("Const"));
        Assert.That(m.Value.Op.Name, Is.EqualTo("mean/value"));
        Assert.That(m.UpdateOp.Op.Name, Is.EqualTo("mean/update_op"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void AccuracyCountsMatchesOfThresholdedScores(bool weighted)
    {
        var (g, labels, scores, weights) = Inputs();
        var predictions = g.Cast(g.Greater(scores, g.Constant(0.5f)), DType.Int64);
        var m = TensorGraph.Metrics.Accuracy(g.Cast(labels, DType.Int64), predictions, weighted ? weights : null);
        RunBatches(g, labels, scores, weights, m, weighted, b =>
        {
            var all = Upto(b, weighted).ToArray();
            return all.Sum(e => ((e.Score > 0.5) == (e.Label == 1) ? 1 : 0) * e.Weight) / all.Sum(e => e.Weight);
        });
        Assert.That(g.LocalVariables.Select(v => v.Name), Is.EqualTo(new[] { "accuracy/total", "accuracy/count" }));
        Assert.That(m.Value.Op.Name, Is.EqualTo("accuracy/value"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void PrecisionAndRecallAreRatiosOfCounts(bool weighted)
    {
        var (g, labels, scores, weights) = Inputs();
        var predictions = g.Greater(scores, g.Constant(0.5f));
        var p = TensorGraph.Metrics.Precision(labels, predictions, weighted ? weights : null);
        var r = TensorGraph.Metrics.Recall(labels, predictions, weighted ? weights : null);
        double Count(int b, bool label, bool pred) => Upto(b, weighted).Where(e => (e.Label == 1) == label && (e.Score > 0.5) == pred).Sum(e => e.Weight);
        RunBatches(g, labels, scores, weights, p, weighted, b => Count(b, true, true) / (Count(b, true, true) + Count(b, false, true)));
        RunBatches(g, labels, scores, weights, r, weighted, b => Count(b, true, true) / (Count(b, true, true) + Count(b, true, false)));
        Assert.That(g.LocalVariables.Select(v => v.Name), Is.EqualTo(new[]
        {
            "precision/true_positives/count", "precision/false_positives/count", "recall/true_positives/count", "recall/false_negatives/count",
        }));
    }

    [Test]
    public void PrecisionIsZeroWhenNothingIsPredictedPositive()
    {
        var g = new Graph();
        var m = TensorGraph.Metrics.Precision(g.Constant(new[] { true, false }), g.Constant(new[] { false, false }));
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        Assert.That(s.Run(m.UpdateOp).Scalar<float>(), Is.EqualTo(0f));
    }

    /// <summary>TF 1.15's AUC: counts at thresholds −1e-7, i/(n−1), 1+1e-7, the 1e-6 epsilons, the trapezoidal sum.</summary>
    private static double ExpectedAuc(IEnumerable<(int Batch, double Label, double Score, double Weight)> seen, int n, string curve)
    {
        var all = seen.ToArray();
        var th = new double[n];
        th[0] = 0f - 1e-7f;
        for (int i = 1; i < n - 1; i++) th[i] = (float)(i * 1.0 / (n - 1));
        th[n - 1] = 1f + 1e-7f;
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double tp = 0, fn = 0, tn = 0, fp = 0;
            foreach (var e in all)
            {
                bool pos = e.Score > th[i];
                if (e.Label == 1) { if (pos) tp += e.Weight; else fn += e.Weight; }
                else { if (pos) fp += e.Weight; else tn += e.Weight; }
            }
            double rec = (tp + 1e-6) / (tp + fn + 1e-6);
            if (curve == "ROC") { x[i] = fp / (fp + tn + 1e-6); y[i] = rec; }
            else { x[i] = rec; y[i] = (tp + 1e-6) / (tp + fp + 1e-6); }
        }
        double area = 0;
        for (int i = 0; i < n - 1; i++) area += (x[i] - x[i + 1]) * (y[i] + y[i + 1]) / 2;
        return area;
    }

    [TestCase("ROC", 200, false)]
    [TestCase("ROC", 7, true)]
    [TestCase("PR", 200, false)]
    [TestCase("PR", 11, true)]
    public void AucIsTheTrapezoidalAreaOverThresholds(string curve, int n, bool weighted)
    {
        var (g, labels, scores, weights) = Inputs();
        var m = TensorGraph.Metrics.Auc(labels, scores, weighted ? weights : null, numThresholds: n, curve: curve);
        var final = RunBatches(g, labels, scores, weights, m, weighted, b => ExpectedAuc(Upto(b, weighted), n, curve));
        Assert.That(final, Is.InRange(0f, 1f));
        Assert.That(g.LocalVariables.Select(v => v.Name), Is.EqualTo(new[] { "auc/true_positives", "auc/false_negatives", "auc/true_negatives", "auc/false_positives" }));
        Assert.That(g.LocalVariables[0].Shape, Is.EqualTo(new Shape(n)));
    }

    [Test]
    public void AucOfAPerfectRankingIsOne()
    {
        var g = new Graph();
        var m = TensorGraph.Metrics.Auc(g.Constant(new[] { 0, 0, 1, 1 }), g.Constant(new[] { 0.1f, 0.3f, 0.6f, 0.9f }));
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        Assert.That(s.Run(m.UpdateOp).Scalar<float>(), Is.EqualTo(1f).Within(1e-5));
    }

    [Test]
    public void AucRefusesPredictionsOutsideTheUnitInterval()
    {
        var g = new Graph();
        var m = TensorGraph.Metrics.Auc(g.Constant(new[] { 0, 1 }), g.Constant(new[] { 0.5f, 1.5f }));
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(m.UpdateOp));
        Assert.That(e!.Message, Does.Contain("predictions must be in [0, 1]"));
    }

    [Test]
    public void SecondMetricOfTheSameKindGetsItsOwnScope()
    {
        var g = new Graph();
        var x = g.Constant(new[] { 1f, 2f });
        TensorGraph.Metrics.Mean(x);
        TensorGraph.Metrics.Mean(x);
        TensorGraph.Metrics.Accuracy(x, x, name: "acc");
        Assert.That(g.LocalVariables.Select(v => v.Name), Is.EqualTo(new[] { "mean/total", "mean/count", "mean_1/total", "mean_1/count", "acc/total", "acc/count" }));
    }

    [Test]
    public void DivNoNanIsZeroWhereTheDivisorIsZero()
    {
        var g = new Graph();
        var z = g.DivNoNan(g.Constant(new[] { 1f, -3f, 0f, 5f }), g.Constant(new[] { 2f, 0f, 0f, -0.5f }));
        Assert.That(z.Op.Type, Is.EqualTo("DivNoNan"));
        using var s = new Session(g);
        Assert.That(s.Run(z).ToArray<float>(), Is.EqualTo(new[] { 0.5f, 0f, 0f, -10f }));
        Assert.Throws<InvalidArgumentException>(() => g.DivNoNan(g.Constant(new[] { 1 }), g.Constant(new[] { 1 })));
    }

    [Test]
    public void DivNoNanGradientMatchesFiniteDifferences()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(2, 3), "x");
        var y = g.Placeholder(DType.Float64, new Shape(3), "y");
        var z = g.DivNoNan(x, y);
        using var s = new Session(g);
        Tensor xv = new double[,] { { 1, -2, 0.5 }, { 3, 0.25, -1 } };
        Tensor yv = new[] { 2.0, -1.5, 0.75 };
        var cx = GradientChecker.Compute(s, x, xv, z, new FeedDict { [y] = yv }, 1e-5);
        var cy = GradientChecker.Compute(s, y, yv, z, new FeedDict { [x] = xv }, 1e-5);
        Assert.That(cx.MaxRelativeError, Is.LessThan(1e-6));
        Assert.That(cy.MaxRelativeError, Is.LessThan(1e-6));
        // Where y is 0 the gradients are 0 as well (div_no_nan all the way down).
        var grads = g.Gradients(g.ReduceSum(z), [x, y]);
        var r = s.Run([grads[0]!.Value, grads[1]!.Value], new FeedDict { [x] = xv, [y] = new[] { 2.0, 0, 1 } });
        Assert.That(r[0].ToArray<double>(), Is.EqualTo(new[] { 0.5, 0, 1, 0.5, 0, 1 }));
        Assert.That(r[1].ToArray<double>()[1], Is.EqualTo(0));
    }
}
