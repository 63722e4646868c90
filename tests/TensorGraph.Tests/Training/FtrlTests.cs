using TensorGraph.Training;

namespace TensorGraph.Tests.Training;

/// <summary>FtrlOptimizer and the ApplyFtrl family against TF's FTRL-proximal update written out here.</summary>
public class FtrlTests
{
    // loss = sum(w * x) + 0.5 * sum(w²): gradient g = x + w.
    private static readonly double[] W0 = [1.0, -2.0, 0.5];
    private static readonly double[] X = [0.3, 0.1, -0.4];

    /// <summary>
    /// TF's ApplyFtrlV2 kernel on one element: gs = g + 2·l2s·w; n = acc + g²;
    /// lin += gs − (n^(−p) − acc^(−p))/lr·w; w = |lin| &gt; l1 ? (sign(lin)·l1 − lin)/(n^(−p)/lr + 2·l2) : 0; acc = n.
    /// </summary>
    private static void Step(double[] w, double[] acc, double[] lin, double[] g, double lr, double l1, double l2, double l2s, double p)
    {
        for (int i = 0; i < w.Length; i++)
        {
            double gs = g[i] + 2 * l2s * w[i];
            double n = acc[i] + g[i] * g[i];
            lin[i] += gs - (Math.Pow(n, -p) - Math.Pow(acc[i], -p)) / lr * w[i];
            w[i] = Math.Abs(lin[i]) > l1 ? (Math.Sign(lin[i]) * l1 - lin[i]) / (Math.Pow(n, -p) / lr + 2 * l2) : 0;
            acc[i] = n;
        }
    }

    [TestCase(-0.5, 0.0, 0.0, 0.0)]
    [TestCase(-0.5, 0.05, 0.1, 0.0)]
    [TestCase(-0.3, 0.02, 0.05, 0.0)]
    [TestCase(-0.5, 0.01, 0.02, 0.1)]
    [TestCase(0.0, 0.0, 0.1, 0.3)]
    public void MinimizeFollowsTheFtrlFormula(double power, double l1, double l2, double shrinkage)
    {
        var g = new Graph();
        var wv = g.Variable(W0, name: "w");
        var loss = g.ReduceSum(wv * g.Constant(X)) + 0.5 * g.ReduceSum(g.Square(wv));
        var opt = new FtrlOptimizer(0.3, learningRatePower: power, l1RegularizationStrength: l1, l2RegularizationStrength: l2,
            l2ShrinkageRegularizationStrength: shrinkage);
        var train = opt.Minimize(loss);
        Assert.That(g.Operations.Select(o => o.Type), Does.Contain(shrinkage > 0 ? "ApplyFtrlV2" : "ApplyFtrl"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var w = (double[])W0.Clone();
        var acc = new double[] { 0.1, 0.1, 0.1 };
        var lin = new double[3];
        for (int step = 0; step < 4; step++)
        {
            var grad = w.Select((v, i) => X[i] + v).ToArray();
            Step(w, acc, lin, grad, 0.3, l1, l2, shrinkage, power);
            s.Run(train);
            Assert.That(s.Run(wv).ToArray<double>(), Is.EqualTo(w).Within(1e-12), $"step {step}");
            Assert.That(s.Run(opt.GetSlot(wv, "accum")).ToArray<double>(), Is.EqualTo(acc).Within(1e-12));
            Assert.That(s.Run(opt.GetSlot(wv, "linear")).ToArray<double>(), Is.EqualTo(lin).Within(1e-12));
        }
    }

    [Test]
    public void L1ZeroesWeightsWhoseLinearAccumulatorIsSmall()
    {
        // With l1 larger than every |linear| the first step sets all weights to exactly zero.
        var g = new Graph();
        var wv = g.Variable(new float[] { 0.5f, -0.25f }, name: "w");
        var train = new FtrlOptimizer(0.1, l1RegularizationStrength: 10).Minimize(g.ReduceSum(wv * g.Constant(new float[] { 1f, -2f })));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        s.Run(train);
        Assert.That(s.Run(wv).ToArray<float>(), Is.EqualTo(new[] { 0f, 0f }));
    }

    [Test]
    public void SlotAndNodeNamesFollowTensorFlow()
    {
        var g = new Graph();
        Variable w;
        using (g.NameScope("linear")) w = g.Variable(new float[] { 1, 2 }, name: "weights");
        var opt = new FtrlOptimizer(0.2);
        var train = opt.Minimize(g.ReduceSum(g.Square(w)));
        var names = g.Operations.Select(o => o.Name).ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(opt.SlotNames, Is.EqualTo(new[] { "accum", "linear" }));
            Assert.That(opt.GetSlot(w, "accum").Name, Is.EqualTo("linear/weights/Ftrl"));
            Assert.That(opt.GetSlot(w, "linear").Name, Is.EqualTo("linear/weights/Ftrl_1"));
            Assert.That(train.Name, Is.EqualTo("Ftrl"));
            Assert.That(names, Does.Contain("Ftrl/update_linear/weights/ApplyFtrl"));
            Assert.That(names, Does.Contain("Ftrl/learning_rate"));
            Assert.That(names, Does.Contain("Ftrl/l1_regularization_strength"));
            Assert.That(names, Does.Contain("Ftrl/l2_regularization_strength"));
            Assert.That(names, Does.Contain("Ftrl/learning_rate_power"));
        });
        var named = new FtrlOptimizer(0.2, accumName: "acc", linearName: "lin");
        var v = g.Variable(new float[] { 1 }, name: "v");
        named.Minimize(g.ReduceSum(v));
        Assert.That(named.GetSlot(v, "accum").Name, Is.EqualTo("v/acc"));
        Assert.That(named.GetSlot(v, "linear").Name, Is.EqualTo("v/lin"));
    }

    [Test]
    public void ArgumentsAreCheckedAsTensorFlowDoes()
    {
        Assert.Throws<InvalidArgumentException>(() => new FtrlOptimizer(0.1, learningRatePower: 0.5));
        Assert.Throws<InvalidArgumentException>(() => new FtrlOptimizer(0.1, initialAccumulatorValue: -1));
        Assert.Throws<InvalidArgumentException>(() => new FtrlOptimizer(0.1, l1RegularizationStrength: -1));
        Assert.Throws<InvalidArgumentException>(() => new FtrlOptimizer(0.1, l2RegularizationStrength: -1));
        Assert.Throws<InvalidArgumentException>(() => new FtrlOptimizer(0.1, l2ShrinkageRegularizationStrength: -1));
        Assert.DoesNotThrow(() => new FtrlOptimizer(0.1, initialAccumulatorValue: 0));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void SparseGradientsUpdateOnlyTheirRowsWithRepeatedIndicesSummed(bool shrinkage)
    {
        // table [3,2]; ids [2, 0, 2]: gradient rows 2 (twice) and 0; row 1 untouched.
        var g = new Graph();
        double[] t0 = [0.5, -1, 2, 0.25, -0.75, 1.5];
        var table = g.Variable(Tensor.Create(t0, 3, 2), name: "table");
        var coef = Tensor.Create(new double[] { 1, 2, -0.5, 0.5, 3, -1 }, 3, 2);
        var loss = g.ReduceSum(g.EmbeddingLookup(table, g.Constant(new[] { 2, 0, 2 })) * g.Constant(coef));
        var opt = new FtrlOptimizer(0.5, l1RegularizationStrength: 0.01, l2RegularizationStrength: 0.1, l2ShrinkageRegularizationStrength: shrinkage ? 0.2 : 0);
        var train = opt.Minimize(loss);
        Assert.That(g.Operations.Select(o => o.Type), Does.Contain(shrinkage ? "SparseApplyFtrlV2" : "SparseApplyFtrl"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var w = (double[])t0.Clone();
        var acc = Enumerable.Repeat(0.1, 6).ToArray();
        var lin = new double[6];
        for (int step = 0; step < 2; step++)
        {
            s.Run(train);
            // Row 0 gets coef row 1; row 2 gets coef rows 0 + 2; row 1 is not updated at all.
            foreach (var (row, grad) in new[] { (0, new[] { -0.5, 0.5 }), (2, new[] { 4.0, 1.0 }) })
            {
                var wr = w.AsSpan(row * 2, 2).ToArray();
                var ar = acc.AsSpan(row * 2, 2).ToArray();
                var lr = lin.AsSpan(row * 2, 2).ToArray();
                Step(wr, ar, lr, grad, 0.5, 0.01, 0.1, shrinkage ? 0.2 : 0, -0.5);
                wr.CopyTo(w, row * 2);
                ar.CopyTo(acc, row * 2);
                lr.CopyTo(lin, row * 2);
            }
            Assert.That(s.Run(table.Value).ToArray<double>(), Is.EqualTo(w).Within(1e-12), $"step {step}");
        }
    }

    [Test]
    public void ResourceFormsMatchTheRefForms()
    {
        float[] w0 = [0.5f, -1f, 2f, 0.25f], g0 = [0.3f, -0.2f, 0.1f, 0.4f];
        var g = new Graph();
        var w = g.Variable(w0, name: "w");
        var a = g.Variable(new float[] { 0.1f, 0.2f, 0.3f, 0.4f }, name: "a");
        var l = g.Variable(new float[] { 0.01f, -0.02f, 0f, 0.5f }, name: "l");
        var init = new List<Operation>();
        Output Res(float[] v, string name)
        {
            var h = g.VarHandleOp(DType.Float32, [4], sharedName: name);
            init.Add(g.AssignVariableOp(h, g.Constant(v)));
            return h;
        }
        var rw = Res(w0, "rw");
        var ra = Res([0.1f, 0.2f, 0.3f, 0.4f], "ra");
        var rl = Res([0.01f, -0.02f, 0f, 0.5f], "rl");
        Output C(float v) => g.Constant(v);
        var refStep = g.ApplyFtrlV2(w.Ref, a.Ref, l.Ref, g.Constant(g0), C(0.1f), C(0.01f), C(0.02f), C(0.3f), C(-0.4f));
        var resStep = g.ResourceApplyFtrlV2(rw, ra, rl, g.Constant(g0), C(0.1f), C(0.01f), C(0.02f), C(0.3f), C(-0.4f));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        foreach (var op in init) s.Run(op);
        var expect = s.Run(refStep).ToArray<float>();
        s.Run(resStep);
        Assert.That(s.Run(g.ReadVariableOp(rw, DType.Float32)).ToArray<float>(), Is.EqualTo(expect));
        Assert.That(expect, Is.Not.EqualTo(w0));
    }
}
