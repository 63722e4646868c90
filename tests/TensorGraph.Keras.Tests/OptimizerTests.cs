using TensorGraph.Keras.Layers;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras.Tests;

/// <summary>Each optimizer's first steps against Keras's update formulas computed here in double precision.</summary>
public class OptimizerTests
{
    private static readonly double[,] X = { { 1, 2 }, { 3, -1 } };
    private static readonly double[,] T = { { 1, 0 }, { 0, 1 } };
    private static readonly double[,] W0 = { { 0.5, -0.25 }, { 0.1, 0.3 } };

    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 3);

    /// <summary>dL/dW of L = mean over samples and units of (x·W − t)².</summary>
    private static double[,] Grad(double[,] w)
    {
        var g = new double[2, 2];
        for (int s = 0; s < 2; s++)
            for (int j = 0; j < 2; j++)
            {
                double y = X[s, 0] * w[0, j] + X[s, 1] * w[1, j];
                double dy = 2 * (y - T[s, j]) / 4;
                for (int i = 0; i < 2; i++) g[i, j] += X[s, i] * dy;
            }
        return g;
    }

    private static double Loss(double[,] w)
    {
        double l = 0;
        for (int s = 0; s < 2; s++)
            for (int j = 0; j < 2; j++)
            {
                double y = X[s, 0] * w[0, j] + X[s, 1] * w[1, j];
                l += (y - T[s, j]) * (y - T[s, j]) / 4;
            }
        return l;
    }

    private static (double[] Weights, double[] Losses) Train(Optimizer opt, int steps)
    {
        var model = new Sequential(new Dense(2, useBias: false, inputShape: [2]));
        model.Compile(opt, "mse");
        model.SetWeights([Tensor.Create(new[] { 0.5f, -0.25f, 0.1f, 0.3f }, 2, 2)]);
        var x = Tensor.Create(new[] { 1f, 2, 3, -1 }, 2, 2);
        var y = Tensor.Create(new[] { 1f, 0, 0, 1 }, 2, 2);
        var h = model.Fit(x, y, batchSize: 2, epochs: steps, verbose: 0, shuffle: false);
        return ([.. model.GetWeights()[0].ToArray<float>().Select(v => (double)v)], [.. h["loss"]]);
    }

    private static void Check(Optimizer opt, int steps, Func<double[,], double[,], int, double[,]> step)
    {
        var (w, losses) = Train(opt, steps);
        var e = (double[,])W0.Clone();
        for (int t = 0; t < steps; t++)
        {
            Assert.That(losses[t], Is.EqualTo(Loss(e)).Within(1e-5), $"loss before step {t + 1}");
            e = step(e, Grad(e), t + 1);
        }
        for (int k = 0; k < 4; k++) Assert.That(w[k], Is.EqualTo(e[k / 2, k % 2]).Within(1e-5), $"w[{k}]");
    }

    [Test]
    public void SgdPlain() => Check(new SGD(0.1), 3, (w, g, _) =>
    {
        var r = new double[2, 2];
        for (int i = 0; i < 4; i++) r[i / 2, i % 2] = w[i / 2, i % 2] - 0.1 * g[i / 2, i % 2];
        return r;
    });

    [TestCase(false)]
    [TestCase(true)]
    public void SgdMomentum(bool nesterov)
    {
        var m = new double[2, 2];
        Check(new SGD(0.1, momentum: 0.9, nesterov: nesterov), 3, (w, g, _) =>
        {
            var r = new double[2, 2];
            for (int i = 0; i < 4; i++)
            {
                int a = i / 2, b = i % 2;
                m[a, b] = 0.9 * m[a, b] - 0.1 * g[a, b];
                r[a, b] = w[a, b] + (nesterov ? 0.9 * m[a, b] - 0.1 * g[a, b] : m[a, b]);
            }
            return r;
        });
    }

    [Test]
    public void RmspropKerasDefaultsEpsilonOutsideTheRoot()
    {
        var rms = new double[2, 2];
        // A large epsilon makes inside-vs-outside the square root visible.
        Check(new RMSprop(learningRate: 0.01, epsilon: 0.1), 3, (w, g, _) =>
        {
            var r = new double[2, 2];
            for (int i = 0; i < 4; i++)
            {
                int a = i / 2, b = i % 2;
                rms[a, b] = 0.9 * rms[a, b] + 0.1 * g[a, b] * g[a, b];
                r[a, b] = w[a, b] - 0.01 * g[a, b] / (Math.Sqrt(rms[a, b]) + 0.1);
            }
            return r;
        });
    }

    [Test]
    public void RmspropWithMomentum()
    {
        var rms = new double[2, 2];
        var mom = new double[2, 2];
        Check(new RMSprop(learningRate: 0.01, momentum: 0.5, epsilon: 0.1), 3, (w, g, _) =>
        {
            var r = new double[2, 2];
            for (int i = 0; i < 4; i++)
            {
                int a = i / 2, b = i % 2;
                rms[a, b] = 0.9 * rms[a, b] + 0.1 * g[a, b] * g[a, b];
                mom[a, b] = 0.5 * mom[a, b] + 0.01 * g[a, b] / Math.Sqrt(rms[a, b] + 0.1);
                r[a, b] = w[a, b] - mom[a, b];
            }
            return r;
        });
    }

    [Test]
    public void AdamDefaults()
    {
        var m = new double[2, 2];
        var v = new double[2, 2];
        Check(new Adam(learningRate: 0.01), 3, (w, g, t) =>
        {
            var r = new double[2, 2];
            double lrT = 0.01 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            for (int i = 0; i < 4; i++)
            {
                int a = i / 2, b = i % 2;
                m[a, b] = 0.9 * m[a, b] + 0.1 * g[a, b];
                v[a, b] = 0.999 * v[a, b] + 0.001 * g[a, b] * g[a, b];
                r[a, b] = w[a, b] - lrT * m[a, b] / (Math.Sqrt(v[a, b]) + 1e-7);
            }
            return r;
        });
    }

    [Test]
    public void AdagradDefaults()
    {
        var acc = new double[2, 2] { { 0.1, 0.1 }, { 0.1, 0.1 } };
        Check(new Adagrad(learningRate: 0.1), 3, (w, g, _) =>
        {
            var r = new double[2, 2];
            for (int i = 0; i < 4; i++)
            {
                int a = i / 2, b = i % 2;
                acc[a, b] += g[a, b] * g[a, b];
                r[a, b] = w[a, b] - 0.1 * g[a, b] / (Math.Sqrt(acc[a, b]) + 1e-7);
            }
            return r;
        });
    }

    [Test]
    public void DefaultsAndVariableNames()
    {
        var rms = new RMSprop();
        Assert.That((rms.LearningRate, rms.Rho, rms.Momentum, rms.Epsilon), Is.EqualTo((0.001, 0.9, 0.0, 1e-7)));
        var adam = new Adam();
        Assert.That((adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon), Is.EqualTo((0.001, 0.9, 0.999, 1e-7)));
        Assert.That(new SGD().LearningRate, Is.EqualTo(0.01));
        var ada = new Adagrad();
        Assert.That((ada.LearningRate, ada.InitialAccumulatorValue), Is.EqualTo((0.001, 0.1)));

        var model = new Sequential(new Dense(2, inputShape: [2]));
        model.Compile("rmsprop", "mse");
        model.Fit(Tensor.Create(new[] { 1f, 2 }, 1, 2), Tensor.Create(new[] { 0f, 1 }, 1, 2), verbose: 0);
        var g = model.Graph;
        foreach (var n in new[] { "training/RMSprop/iter", "training/RMSprop/learning_rate", "training/RMSprop/dense/kernel/rms", "training/RMSprop/dense/bias/rms",
                     "dense_target", "loss/dense_loss/value", "loss/mul" })
            Assert.That(g.TryGetOperation(n), Is.Not.Null, n);
        Assert.That(g.Operations.Any(o => o.Name.StartsWith("training/RMSprop/gradients/gradients/dense/MatMul_grad/", StringComparison.Ordinal)), Is.True);
        Assert.That(model.Optimizer!.Iterations, Is.Not.Null);
        Assert.That(model.Session.Run(model.Optimizer.Iterations!.Value).Scalar<long>(), Is.EqualTo(1L));
        Assert.That(model.Optimizer.Weights.Select(w => w.Name), Is.EqualTo(new[] { "training/RMSprop/iter", "training/RMSprop/dense/kernel/rms", "training/RMSprop/dense/bias/rms" }));
    }
}

public class OptimizerReuseTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 37);

    [Test]
    public void CompilingAgainKeepsTheOptimizerState()
    {
        var opt = new Adam(0.01);
        var model = new Sequential(new Dense(1, inputShape: [1]));
        model.Compile(opt, "mse");
        var x = Tensor.Create(new[] { 1f }, 1, 1);
        var y = Tensor.Create(new[] { 2f }, 1);
        model.Fit(x, y, epochs: 3, verbose: 0);
        model.Compile(opt, "mae");
        model.Fit(x, y, epochs: 2, verbose: 0);
        Assert.That(model.Session.Run(opt.Iterations!.Value).Scalar<long>(), Is.EqualTo(5L));
        Assert.That(opt.Weights.Select(w => w.Name), Is.EqualTo(new[] { "training/Adam/iter", "training/Adam/dense/kernel/m", "training/Adam/dense/kernel/v", "training/Adam/dense/bias/m", "training/Adam/dense/bias/v" }));
        Backend.ClearSession();
        var other = new Sequential(new Dense(1, inputShape: [1]));
        other.Compile(opt, "mse");
        Assert.Throws<InvalidOperationException>(() => other.Fit(x, y, verbose: 0));
    }
}
