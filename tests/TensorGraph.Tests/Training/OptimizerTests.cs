using TensorGraph.Training;

namespace TensorGraph.Tests.Training;

public class OptimizerTests
{
    // loss = sum(w * x) + 0.5 * sum(w²): gradient g = x + w, so updates can be computed by hand.
    private static readonly double[] W0 = [1.0, -2.0, 0.5];
    private static readonly double[] X = [0.3, 0.1, -0.4];

    private static (Graph G, Variable W, Output Loss) Problem()
    {
        var g = new Graph();
        var w = g.Variable(W0, name: "w");
        var x = g.Constant(X);
        var loss = g.ReduceSum(w * x) + 0.5 * g.ReduceSum(g.Square(w));
        return (g, w, loss);
    }

    private static double[][] Run(Optimizer opt, int steps = 3)
    {
        var (g, w, loss) = Problem();
        var train = opt.Minimize(loss);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var r = new List<double[]>();
        for (int i = 0; i < steps; i++)
        {
            s.Run(train);
            r.Add(s.Run(w).ToArray<double>());
        }
        return [.. r];
    }

    private static double[] Grad(double[] w) => w.Select((v, i) => X[i] + v).ToArray();

    [Test]
    public void GradientDescent()
    {
        var got = Run(new GradientDescentOptimizer(0.1));
        var w = (double[])W0.Clone();
        for (int step = 0; step < 3; step++)
        {
            var g = Grad(w);
            for (int i = 0; i < 3; i++) w[i] -= 0.1 * g[i];
            Assert.That(got[step], Is.EqualTo(w).Within(1e-12));
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Momentum(bool nesterov)
    {
        var got = Run(new MomentumOptimizer(0.1, 0.9, useNesterov: nesterov));
        var w = (double[])W0.Clone();
        var a = new double[3];
        for (int step = 0; step < 3; step++)
        {
            var g = Grad(w);
            for (int i = 0; i < 3; i++)
            {
                a[i] = 0.9 * a[i] + g[i];
                w[i] -= nesterov ? 0.1 * g[i] + 0.1 * 0.9 * a[i] : 0.1 * a[i];
            }
            Assert.That(got[step], Is.EqualTo(w).Within(1e-12));
        }
    }

    [TestCase(0.0, false)]
    [TestCase(0.5, false)]
    [TestCase(0.5, true)]
    public void RMSProp(double momentum, bool centered)
    {
        var got = Run(new RMSPropOptimizer(0.01, decay: 0.9, momentum: momentum, epsilon: 1e-10, centered: centered));
        var w = (double[])W0.Clone();
        var ms = new double[] { 1, 1, 1 };
        var mg = new double[3];
        var mom = new double[3];
        for (int step = 0; step < 3; step++)
        {
            var g = Grad(w);
            for (int i = 0; i < 3; i++)
            {
                ms[i] += (g[i] * g[i] - ms[i]) * 0.1;
                double denom = ms[i] + 1e-10;
                if (centered)
                {
                    mg[i] += (g[i] - mg[i]) * 0.1;
                    denom = ms[i] - mg[i] * mg[i] + 1e-10;
                }
                mom[i] = momentum * mom[i] + 0.01 * g[i] / Math.Sqrt(denom);
                w[i] -= mom[i];
            }
            Assert.That(got[step], Is.EqualTo(w).Within(1e-12));
        }
    }

    [Test]
    public void RMSPropKerasDefaultsPutEpsilonOutsideTheSquareRoot()
    {
        // A large epsilon makes inside and outside the root differ visibly.
        var got = Run(RMSPropOptimizer.KerasDefaults(0.01, 0.9, epsilon: 0.1));
        var w = (double[])W0.Clone();
        var ms = new double[3];
        for (int step = 0; step < 3; step++)
        {
            var g = Grad(w);
            for (int i = 0; i < 3; i++)
            {
                ms[i] = 0.9 * ms[i] + 0.1 * g[i] * g[i];
                w[i] -= 0.01 * g[i] / (Math.Sqrt(ms[i]) + 0.1);
            }
            Assert.That(got[step], Is.EqualTo(w).Within(1e-12));
        }
        Assert.That(RMSPropOptimizer.KerasDefaults().SlotNames, Is.EqualTo(new[] { "rms" }));
    }

    [TestCase(37)]
    [TestCase(300)]
    public void RMSPropOnWideVariablesMatchesTheFormulaExactly(int n)
    {
        // Wide enough for the vectorized update and a scalar tail, in float32 and float64.
        var rng = new Random(n);
        var w0 = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var gs = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var g = new Graph();
        var w = g.Variable(w0, name: "w");
        var ms = g.Variable(Enumerable.Repeat(1f, n).ToArray(), name: "ms");
        var mom = g.Variable(new float[n], name: "mom");
        var grad = g.Placeholder(DType.Float32, [n], name: "grad");
        var apply = g.ApplyRMSProp(w.Ref, ms.Ref, mom.Ref, g.Constant(0.01f), g.Constant(0.9f), g.Constant(0.5f), g.Constant(1e-7f), grad);
        var wd = g.Variable(w0.Select(v => (double)v).ToArray(), name: "wd");
        var msd = g.Variable(Enumerable.Repeat(1.0, n).ToArray(), name: "msd");
        var momd = g.Variable(new double[n], name: "momd");
        var gradd = g.Placeholder(DType.Float64, [n], name: "gradd");
        var applyd = g.ApplyRMSProp(wd.Ref, msd.Ref, momd.Ref, g.Constant(0.01), g.Constant(0.9), g.Constant(0.5), g.Constant(1e-7), gradd);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var (rw, rms, rmom) = ((float[])w0.Clone(), Enumerable.Repeat(1f, n).ToArray(), new float[n]);
        var (dw, dms, dmom) = (w0.Select(v => (double)v).ToArray(), Enumerable.Repeat(1.0, n).ToArray(), new double[n]);
        float omr = 1f - 0.9f;
        double omrd = 1.0 - 0.9;
        foreach (var gv in gs)
        {
            s.Run([apply.Op, applyd.Op], new FeedDict { [grad] = gv, [gradd] = gv.Select(v => (double)v).ToArray() });
            for (int i = 0; i < n; i++)
            {
                rms[i] += (gv[i] * gv[i] - rms[i]) * omr;
                rmom[i] = rmom[i] * 0.5f + 0.01f * gv[i] / MathF.Sqrt(rms[i] + 1e-7f);
                rw[i] -= rmom[i];
                double gi = gv[i];
                dms[i] += (gi * gi - dms[i]) * omrd;
                dmom[i] = dmom[i] * 0.5 + 0.01 * gi / Math.Sqrt(dms[i] + 1e-7);
                dw[i] -= dmom[i];
            }
        }
        Assert.That(s.Run(w.Value).ToArray<float>(), Is.EqualTo(rw));
        Assert.That(s.Run(ms.Value).ToArray<float>(), Is.EqualTo(rms));
        Assert.That(s.Run(mom.Value).ToArray<float>(), Is.EqualTo(rmom));
        Assert.That(s.Run(wd.Value).ToArray<double>(), Is.EqualTo(dw));
        Assert.That(s.Run(msd.Value).ToArray<double>(), Is.EqualTo(dms));
    }

    [Test]
    public void Adam()
    {
        var got = Run(new AdamOptimizer(0.01));
        var w = (double[])W0.Clone();
        var m = new double[3];
        var v = new double[3];
        double b1p = 0.9, b2p = 0.999;
        for (int step = 0; step < 3; step++)
        {
            var g = Grad(w);
            double alpha = 0.01 * Math.Sqrt(1 - b2p) / (1 - b1p);
            for (int i = 0; i < 3; i++)
            {
                m[i] += (g[i] - m[i]) * 0.1;
                v[i] += (g[i] * g[i] - v[i]) * 0.001;
                w[i] -= alpha * m[i] / (Math.Sqrt(v[i]) + 1e-8);
            }
            b1p *= 0.9;
            b2p *= 0.999;
            Assert.That(got[step], Is.EqualTo(w).Within(1e-12));
        }
    }

    [TestCase(41, false)]
    [TestCase(41, true)]
    public void AdamOnWideVariablesMatchesTheFormulaExactly(int n, bool nesterov)
    {
        var rng = new Random(n + (nesterov ? 1 : 0));
        var w0 = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var gs = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var g = new Graph();
        var w = g.Variable(w0, name: "w");
        var m = g.Variable(new float[n], name: "m");
        var v = g.Variable(new float[n], name: "v");
        var grad = g.Placeholder(DType.Float32, [n], name: "grad");
        var b1p = g.Placeholder(DType.Float32, Shape.Scalar, name: "b1p");
        var b2p = g.Placeholder(DType.Float32, Shape.Scalar, name: "b2p");
        var apply = g.ApplyAdam(w.Ref, m.Ref, v.Ref, b1p, b2p, g.Constant(0.01f), g.Constant(0.9f), g.Constant(0.999f), g.Constant(1e-7f), grad, useNesterov: nesterov);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var (rw, rm, rv) = ((float[])w0.Clone(), new float[n], new float[n]);
        float p1 = 0.9f, p2 = 0.999f;
        foreach (var gv in gs)
        {
            s.Run(apply.Op, new FeedDict { [grad] = gv, [b1p] = p1, [b2p] = p2 });
            float alpha = 0.01f * MathF.Sqrt(1f - p2) / (1f - p1);
            for (int i = 0; i < n; i++)
            {
                rm[i] += (gv[i] - rm[i]) * (1f - 0.9f);
                rv[i] += (gv[i] * gv[i] - rv[i]) * (1f - 0.999f);
                float num = nesterov ? gv[i] * (1f - 0.9f) + 0.9f * rm[i] : rm[i];
                rw[i] -= alpha * num / (MathF.Sqrt(rv[i]) + 1e-7f);
            }
            p1 *= 0.9f;
            p2 *= 0.999f;
        }
        Assert.That(s.Run(w.Value).ToArray<float>(), Is.EqualTo(rw));
        Assert.That(s.Run(m.Value).ToArray<float>(), Is.EqualTo(rm));
        Assert.That(s.Run(v.Value).ToArray<float>(), Is.EqualTo(rv));
    }

    [TestCase(3 * (1 << 15) + 37, false)]
    [TestCase(3 * (1 << 15) + 37, true)]
    public void LargeUpdatesSplitAcrossCoresMatchTheFormulasExactly(int n, bool nesterov)
    {
        // Large enough to be split into three ranges (the pool may take more threads than cores);
        // every element must be what the scalar formula gives, as in the unsplit update.
        int saved = TensorGraph.Kernels.Gemm.MaxThreads;
        TensorGraph.Kernels.Gemm.MaxThreads = 3;
        try
        {
            var rng = new Random(n + (nesterov ? 1 : 0));
            float[] R() => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var w0 = R();
            var gs = new[] { R(), R() };
            var g = new Graph();
            var grad = g.Placeholder(DType.Float32, [n], name: "grad");
            var wa = g.Variable(w0, name: "wa");
            var ma = g.Variable(new float[n], name: "ma");
            var va = g.Variable(new float[n], name: "va");
            var wr = g.Variable(w0, name: "wr");
            var msr = g.Variable(Enumerable.Repeat(0.1f, n).ToArray(), name: "msr");
            var momr = g.Variable(new float[n], name: "momr");
            var wm = g.Variable(w0, name: "wm");
            var am = g.Variable(new float[n], name: "am");
            var wg = g.Variable(w0, name: "wg");
            var ops = new[]
            {
                g.ApplyAdam(wa.Ref, ma.Ref, va.Ref, g.Constant(0.9f), g.Constant(0.999f), g.Constant(0.01f), g.Constant(0.9f), g.Constant(0.999f), g.Constant(1e-7f), grad, useNesterov: nesterov).Op,
                g.ApplyRMSProp(wr.Ref, msr.Ref, momr.Ref, g.Constant(0.001f), g.Constant(0.9f), g.Constant(0.5f), g.Constant(1e-7f), grad).Op,
                g.ApplyMomentum(wm.Ref, am.Ref, g.Constant(0.1f), grad, g.Constant(0.9f), useNesterov: nesterov).Op,
                g.ApplyGradientDescent(wg.Ref, g.Constant(0.25f), grad).Op,
            };
            using var s = new Session(g);
            s.Run(g.GlobalVariablesInitializer());
            long splitBefore = ApplySpec.SplitUpdates;
            foreach (var gv in gs) s.Run(ops, new FeedDict { [grad] = gv });
            Assert.That(ApplySpec.SplitUpdates - splitBefore, Is.EqualTo(8), "every update was split");

            var (rwa, rma, rva) = ((float[])w0.Clone(), new float[n], new float[n]);
            var (rwr, rms, rmom) = ((float[])w0.Clone(), Enumerable.Repeat(0.1f, n).ToArray(), new float[n]);
            var (rwm, ram, rwg) = ((float[])w0.Clone(), new float[n], (float[])w0.Clone());
            float alpha = 0.01f * MathF.Sqrt(1f - 0.999f) / (1f - 0.9f);
            foreach (var gv in gs)
            {
                for (int i = 0; i < n; i++)
                {
                    rma[i] += (gv[i] - rma[i]) * (1f - 0.9f);
                    rva[i] += (gv[i] * gv[i] - rva[i]) * (1f - 0.999f);
                    float num = nesterov ? gv[i] * (1f - 0.9f) + 0.9f * rma[i] : rma[i];
                    rwa[i] -= alpha * num / (MathF.Sqrt(rva[i]) + 1e-7f);
                    rms[i] += (gv[i] * gv[i] - rms[i]) * (1f - 0.9f);
                    rmom[i] = rmom[i] * 0.5f + 0.001f * gv[i] / MathF.Sqrt(rms[i] + 1e-7f);
                    rwr[i] -= rmom[i];
                    ram[i] = ram[i] * 0.9f + gv[i];
                    rwm[i] -= nesterov ? gv[i] * 0.1f + ram[i] * 0.9f * 0.1f : ram[i] * 0.1f;
                    rwg[i] = MathF.FusedMultiplyAdd(gv[i], -0.25f, rwg[i]);
                }
            }
            Assert.That(s.Run(wa.Value).ToArray<float>(), Is.EqualTo(rwa), "Adam var");
            Assert.That(s.Run(va.Value).ToArray<float>(), Is.EqualTo(rva), "Adam v");
            Assert.That(s.Run(wr.Value).ToArray<float>(), Is.EqualTo(rwr), "RMSProp var");
            Assert.That(s.Run(momr.Value).ToArray<float>(), Is.EqualTo(rmom), "RMSProp mom");
            Assert.That(s.Run(wm.Value).ToArray<float>(), Is.EqualTo(rwm), "Momentum var");
            Assert.That(s.Run(wg.Value).ToArray<float>(), Is.EqualTo(rwg).Within(1).Ulps, "GradientDescent var");
        }
        finally
        {
            TensorGraph.Kernels.Gemm.MaxThreads = saved;
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void MomentumAndAdagradOnWideVariablesMatchTheFormulasExactly(bool nesterov)
    {
        const int n = 45;
        var rng = new Random(nesterov ? 7 : 8);
        var w0 = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var gs = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var g = new Graph();
        var wm = g.Variable(w0, name: "wm");
        var accm = g.Variable(new float[n], name: "accm");
        var wa = g.Variable(w0, name: "wa");
        var acca = g.Variable(Enumerable.Repeat(0.1f, n).ToArray(), name: "acca");
        var grad = g.Placeholder(DType.Float32, [n], name: "grad");
        var mom = g.ApplyMomentum(wm.Ref, accm.Ref, g.Constant(0.05f), grad, g.Constant(0.9f), useNesterov: nesterov);
        var ada = g.ApplyAdagrad(wa.Ref, acca.Ref, g.Constant(0.05f), grad);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var (rw, ra) = ((float[])w0.Clone(), new float[n]);
        var (qw, qa) = ((float[])w0.Clone(), Enumerable.Repeat(0.1f, n).ToArray());
        foreach (var gv in gs)
        {
            s.Run([mom.Op, ada.Op], new FeedDict { [grad] = gv });
            for (int i = 0; i < n; i++)
            {
                ra[i] = ra[i] * 0.9f + gv[i];
                rw[i] -= nesterov ? gv[i] * 0.05f + ra[i] * 0.9f * 0.05f : ra[i] * 0.05f;
                qa[i] += gv[i] * gv[i];
                qw[i] -= 0.05f * gv[i] / MathF.Sqrt(qa[i]);
            }
        }
        Assert.That(s.Run(wm.Value).ToArray<float>(), Is.EqualTo(rw));
        Assert.That(s.Run(accm.Value).ToArray<float>(), Is.EqualTo(ra));
        Assert.That(s.Run(wa.Value).ToArray<float>(), Is.EqualTo(qw));
        Assert.That(s.Run(acca.Value).ToArray<float>(), Is.EqualTo(qa));
    }

    [Test]
    public void AGradientThatAliasesASlotIsReadAfterEachUpdateLikeTheScalarFormula()
    {
        // grad is the ms slot itself; every element starts equal, so every element must end equal.
        int n = 2 * System.Numerics.Vector<float>.Count + 1;
        var g = new Graph();
        var w = g.Variable(new float[n], name: "w");
        var ms = g.Variable(Enumerable.Repeat(2f, n).ToArray(), name: "ms");
        var mom = g.Variable(new float[n], name: "mom");
        var apply = g.ApplyRMSProp(w.Ref, ms.Ref, mom.Ref, g.Constant(0.1f), g.Constant(0.5f), g.Constant(0f), g.Constant(1e-7f), ms.Ref);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var r = s.Run(apply).ToArray<float>();
        Assert.That(r.Distinct().Count(), Is.EqualTo(1), string.Join(", ", r));
    }

    [Test]
    public void Adagrad()
    {
        var got = Run(new AdagradOptimizer(0.1));
        var w = (double[])W0.Clone();
        var acc = new double[] { 0.1, 0.1, 0.1 };
        for (int step = 0; step < 3; step++)
        {
            var g = Grad(w);
            for (int i = 0; i < 3; i++)
            {
                acc[i] += g[i] * g[i];
                w[i] -= 0.1 * g[i] / Math.Sqrt(acc[i]);
            }
            Assert.That(got[step], Is.EqualTo(w).Within(1e-12));
        }
    }

    [Test]
    public void SlotAndNodeNamesFollowTensorFlow()
    {
        var g = new Graph();
        Variable w;
        using (g.NameScope("hidden1")) w = g.Variable(new float[] { 1, 2 }, name: "weights");
        var loss = g.ReduceSum(g.Square(w));
        var rms = new RMSPropOptimizer(0.1);
        var train = rms.Minimize(loss);
        var adam = new AdamOptimizer();
        var trainAdam = adam.Minimize(loss);
        var names = g.Operations.Select(o => o.Name).ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(rms.GetSlot(w, "rms").Name, Is.EqualTo("hidden1/weights/RMSProp"));
            Assert.That(rms.GetSlot(w, "momentum").Name, Is.EqualTo("hidden1/weights/RMSProp_1"));
            Assert.That(adam.GetSlot(w, "m").Name, Is.EqualTo("hidden1/weights/Adam"));
            Assert.That(adam.GetSlot(w, "v").Name, Is.EqualTo("hidden1/weights/Adam_1"));
            Assert.That(adam.Beta1Power!.Name, Is.EqualTo("beta1_power"));
            Assert.That(adam.Beta2Power!.Name, Is.EqualTo("beta2_power"));
            Assert.That(train.Name, Is.EqualTo("RMSProp"));
            Assert.That(trainAdam.Name, Is.EqualTo("Adam"));
            Assert.That(names, Does.Contain("RMSProp/update_hidden1/weights/ApplyRMSProp"));
            Assert.That(names, Does.Contain("RMSProp/learning_rate"));
            Assert.That(names, Does.Contain("Adam/update_hidden1/weights/ApplyAdam"));
            Assert.That(g.GetCollection<Operation>(GraphKeys.TrainOp), Is.EqualTo(new[] { train, trainAdam }));
        });
    }

    [Test]
    public void MinimizeIncrementsGlobalStep()
    {
        var (g, w, loss) = Problem();
        var step = LearningRates.CreateGlobalStep(g);
        var train = new GradientDescentOptimizer(0.1).Minimize(loss, step);
        Assert.That(train.Name, Is.EqualTo("GradientDescent"));
        Assert.That(train.Type, Is.EqualTo("AssignAdd"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        for (int i = 0; i < 4; i++) s.Run(train);
        Assert.That(s.Run(step).Scalar<long>(), Is.EqualTo(4L));
        Assert.That(g.GetOperation("GradientDescent/update").Type, Is.EqualTo("NoOp"));
    }

    [Test]
    public void GlobalStepHelpersFollowTfTrain()
    {
        var g = new Graph();
        Assert.That(g.GetGlobalStep(), Is.Null);
        Variable step;
        using (g.NameScope("model")) step = g.GetOrCreateGlobalStep();
        Assert.That(step.Name, Is.EqualTo("global_step"), "created at the root scope");
        Assert.That(g.GetOrCreateGlobalStep().Op, Is.SameAs(step.Op));
        Assert.That(g.GetGlobalStep()!.Op, Is.SameAs(step.Op));
        Assert.That(g.TrainableVariables, Is.Empty);
        Assert.That(Assert.Throws<InvalidArgumentException>(() => g.CreateGlobalStep())!.Message, Does.Contain("already exists"));
        var h = new Graph();
        h.AddToCollection(GraphKeys.GlobalStep, h.Variable(1.5f, "global_step"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => h.GetGlobalStep())!.Message, Does.Contain("does not have integer type"));
    }

    [Test]
    public void VariableWithoutGradientIsSkippedAndNoneIsAnError()
    {
        var (g, w, loss) = Problem();
        var other = g.Variable(5.0, name: "other");
        var train = new GradientDescentOptimizer(0.1).Minimize(loss);
        using (var s = new Session(g))
        {
            s.Run(g.GlobalVariablesInitializer());
            s.Run(train);
            Assert.That(s.Run(other).Scalar<double>(), Is.EqualTo(5.0));
        }
        var g2 = new Graph();
        var lone = g2.Variable(1.0, name: "lone");
        var constantLoss = g2.Constant(3.0) * 2.0;
        var e = Assert.Throws<InvalidArgumentException>(() => new GradientDescentOptimizer(0.1).Minimize(constantLoss, varList: [lone]))!;
        Assert.That(e.Message, Does.Contain("No gradients provided for any variable"));
    }

    [Test]
    public void LearningRateAsTensorAndExponentialDecay()
    {
        var (g, w, loss) = Problem();
        var step = LearningRates.CreateGlobalStep(g);
        var lr = LearningRates.ExponentialDecay(g, 0.1, step, decaySteps: 2, decayRate: 0.5, staircase: true);
        var train = new GradientDescentOptimizer(g.Cast(lr, DType.Float64)).Minimize(loss, step);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var rates = new List<float>();
        for (int i = 0; i < 5; i++)
        {
            rates.Add(s.Run(lr).Scalar<float>());
            s.Run(train);
        }
        Assert.That(rates, Is.EqualTo(new[] { 0.1f, 0.1f, 0.05f, 0.05f, 0.025f }).Within(1e-7));
    }

    private static IEnumerable<TestCaseData> TensorRateOptimizers()
    {
        yield return new TestCaseData((Func<Output, Optimizer>)(lr => new AdamOptimizer(lr, 0.8, 0.95, 1e-6)), (Func<Optimizer>)(() => new AdamOptimizer(0.05, 0.8, 0.95, 1e-6))).SetName("AdamTakesATensorRate");
        yield return new TestCaseData((Func<Output, Optimizer>)(lr => new RMSPropOptimizer(lr, 0.8, 0.5, 1e-6, centered: true)), (Func<Optimizer>)(() => new RMSPropOptimizer(0.05, 0.8, 0.5, 1e-6, centered: true))).SetName("RMSPropTakesATensorRate");
        yield return new TestCaseData((Func<Output, Optimizer>)(lr => new AdagradOptimizer(lr, 0.2)), (Func<Optimizer>)(() => new AdagradOptimizer(0.05, 0.2))).SetName("AdagradTakesATensorRate");
    }

    /// <summary>A tensor learning rate holding the constant's value trains exactly as the constant; a halved tensor rate does not.</summary>
    [TestCaseSource(nameof(TensorRateOptimizers))]
    public void OptimizersTakeALearningRateTensor(Func<Output, Optimizer> withTensor, Func<Optimizer> withConstant)
    {
        var want = Run(withConstant());
        double[][] RunWith(double rate)
        {
            var (g, w, loss) = Problem();
            var lr = g.Placeholder(DType.Float64, Shape.Scalar, "lr");
            var train = withTensor(lr).Minimize(loss);
            using var s = new Session(g);
            s.Run(g.GlobalVariablesInitializer());
            var r = new List<double[]>();
            for (int i = 0; i < 3; i++)
            {
                s.Run(train, new FeedDict { { lr, Tensor.Scalar(rate) } });
                r.Add(s.Run(w).ToArray<double>());
            }
            return [.. r];
        }
        Assert.That(RunWith(0.05), Is.EqualTo(want));
        Assert.That(RunWith(0.025)[2], Is.Not.EqualTo(want[2]).Within(1e-6));
    }

    [Test]
    public void ClipByGlobalNorm()
    {
        var g = new Graph();
        var a = g.Constant(new double[] { 3, 0 });
        var b = g.Constant(new double[] { 0, 4 });
        var (clipped, norm) = LearningRates.ClipByGlobalNorm(g, [a, null, b], 2.5);
        using var s = new Session(g);
        Assert.That(s.Run(norm).Scalar<double>(), Is.EqualTo(5.0).Within(1e-12));
        Assert.That(clipped[1], Is.Null);
        Assert.That(s.Run(clipped[0]!.Value).ToArray<double>(), Is.EqualTo(new[] { 1.5, 0 }).Within(1e-12));
        Assert.That(s.Run(clipped[2]!.Value).ToArray<double>(), Is.EqualTo(new[] { 0, 2.0 }).Within(1e-12));
        var (same, _) = LearningRates.ClipByGlobalNorm(g, [a], 10);
        Assert.That(s.Run(same[0]!.Value).ToArray<double>(), Is.EqualTo(new[] { 3.0, 0 }).Within(1e-12));
    }
}
