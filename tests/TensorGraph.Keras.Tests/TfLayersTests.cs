using TensorGraph.Layers;
using TensorGraph.Training;

namespace TensorGraph.Keras.Tests;

/// <summary>tf.layers (TfLayers) as TF 1.15's layers/core.py, convolutional.py, pooling.py and normalization.py build them.</summary>
public class TfLayersTests
{
    private static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1))];
    }

    private static Session Init(Graph g)
    {
        var s = new Session(g);
        s.Run([], null, g.GlobalVariablesInitializer());
        return s;
    }

    [Test]
    public void DenseNamesShapesAndValues()
    {
        var g = new Graph { Seed = 1 };
        var x = g.Placeholder(DType.Float32, new Shape(-1, 3), "x");
        var y = TfLayers.Dense(x, 4, activation: v => g.Relu(v));
        var y2 = TfLayers.Dense(y, 2);
        Assert.Multiple(() =>
        {
            Assert.That(g.GlobalVariables.Select(v => v.Name), Is.EqualTo(new[] { "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias" }));
            Assert.That(g.GlobalVariables.Select(v => v.Shape.ToString()), Is.EqualTo(new[] { new Shape(3, 4).ToString(), new Shape(4).ToString(), new Shape(4, 2).ToString(), new Shape(2).ToString() }));
            foreach (var n in new[] { "dense/MatMul", "dense/BiasAdd", "dense/Relu", "dense_1/MatMul", "dense_1/BiasAdd",
                         "dense/kernel/Initializer/random_uniform", "dense/bias/Initializer/zeros" })
                Assert.That(g.TryGetOperation(n), Is.Not.Null, n);
            Assert.That(y.Op.Name, Is.EqualTo("dense/Relu"));
            Assert.That(y2.Op.Name, Is.EqualTo("dense_1/BiasAdd"));
        });

        using var s = Init(g);
        var xv = Rand(6, 5);
        var r = s.Run([y2, g.GlobalVariables[0].Value, g.GlobalVariables[1].Value, g.GlobalVariables[2].Value, g.GlobalVariables[3].Value],
            new FeedDict { [x] = Tensor.Create(xv, 2, 3) });
        var (k1, b1, k2, b2) = (r[1].ToArray<float>(), r[2].ToArray<float>(), r[3].ToArray<float>(), r[4].ToArray<float>());
        double limit = Math.Sqrt(6.0 / (3 + 4));
        Assert.That(k1.All(v => Math.Abs(v) <= limit), Is.True);
        Assert.That(b1, Is.All.EqualTo(0f));
        var got = r[0].ToArray<float>();
        for (int n = 0; n < 2; n++)
        {
            var h = new double[4];
            for (int j = 0; j < 4; j++)
            {
                double a = b1[j];
                for (int i = 0; i < 3; i++) a += xv[n * 3 + i] * k1[i * 4 + j];
                h[j] = Math.Max(a, 0);
            }
            for (int j = 0; j < 2; j++)
            {
                double a = b2[j];
                for (int i = 0; i < 4; i++) a += h[i] * k2[i * 2 + j];
                Assert.That(got[n * 2 + j], Is.EqualTo(a).Within(1e-5));
            }
        }
    }

    [Test]
    public void ReuseByNameSharesTheVariables()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 3), "x");
        var a = TfLayers.Dense(x, 10, name: "d");
        var b = TfLayers.Dense(x, 10, name: "d", reuse: true);
        Assert.Multiple(() =>
        {
            Assert.That(g.GlobalVariables.Select(v => v.Name), Is.EqualTo(new[] { "d/kernel", "d/bias" }));
            Assert.That(a.Op.Name, Is.EqualTo("d/BiasAdd"));
            Assert.That(b.Op.Name, Is.EqualTo("d_1/BiasAdd")); // TF: a second variable_scope("d") opens name scope d_1
            Assert.That(g.GetOperation("d_1/MatMul").Inputs[1].Op.Name, Is.EqualTo("d/kernel/read"));
        });
        // Without reuse the same name is refused, as TF's "Variable d/kernel already exists, disallowed".
        var e = Assert.Throws<InvalidArgumentException>(() => TfLayers.Dense(x, 10, name: "d"));
        Assert.That(e!.Message, Does.Contain("Variable d/kernel already exists, disallowed"));
        // AUTO_REUSE through an enclosing scope.
        using (g.VariableScope("net", reuse: Reuse.AutoReuse))
        {
            TfLayers.Dense(x, 5, name: "fc");
            TfLayers.Dense(x, 5, name: "fc");
        }
        Assert.That(g.GlobalVariables.Select(v => v.Name), Is.EqualTo(new[] { "d/kernel", "d/bias", "net/fc/kernel", "net/fc/bias" }));
    }

    [Test]
    public void ScopeInitializerAndRegularizers()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 2), "x");
        using (g.VariableScope("s", initializer: new TensorGraph.Initializers.Constant(0.5)))
            TfLayers.Dense(x, 3, kernelRegularizer: Regularizers.L2(0.1));
        var losses = g.GetRegularizationLosses();
        Assert.That(losses.Select(l => l.Op.Name), Is.EqualTo(new[] { "s/dense/kernel/Regularizer/l2_regularizer" }));
        using var s = Init(g);
        Assert.That(s.Run(g.GlobalVariables[0].Value).ToArray<float>(), Is.All.EqualTo(0.5f));
        Assert.That(s.Run(losses[0]).ToArray<float>()[0], Is.EqualTo(0.1 * 6 * 0.25 / 2).Within(1e-6));
    }

    [Test]
    public void Conv2DAgainstANaiveConvolution()
    {
        var g = new Graph { Seed = 3 };
        var x = g.Placeholder(DType.Float32, new Shape(1, 5, 5, 2), "x");
        var y = TfLayers.Conv2D(x, 3, 3, strides: 2, padding: "valid", biasInitializer: new TensorGraph.Initializers.Constant(0.25));
        var y2 = TfLayers.Conv2D(x, 1, (2, 2));
        Assert.Multiple(() =>
        {
            Assert.That(g.GlobalVariables.Select(v => v.Name), Is.EqualTo(new[] { "conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias" }));
            Assert.That(g.GlobalVariables[0].Shape.ToArray(), Is.EqualTo(new[] { 3, 3, 2, 3 }));
            Assert.That(y.Op.Name, Is.EqualTo("conv2d/BiasAdd"));
            Assert.That(g.TryGetOperation("conv2d/Conv2D"), Is.Not.Null);
            Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 2, 2, 3 }));
            Assert.That(y2.Shape.ToArray(), Is.EqualTo(new[] { 1, 4, 4, 1 }));
        });
        using var s = Init(g);
        var xv = Rand(50, 7);
        var r = s.Run([y, g.GlobalVariables[0].Value], new FeedDict { [x] = Tensor.Create(xv, 1, 5, 5, 2) });
        var k = r[1].ToArray<float>();
        var got = r[0].ToArray<float>();
        for (int oi = 0; oi < 2; oi++)
        for (int oj = 0; oj < 2; oj++)
        for (int f = 0; f < 3; f++)
        {
            double a = 0.25;
            for (int di = 0; di < 3; di++)
            for (int dj = 0; dj < 3; dj++)
            for (int c = 0; c < 2; c++)
                a += xv[((oi * 2 + di) * 5 + (oj * 2 + dj)) * 2 + c] * k[((di * 3 + dj) * 2 + c) * 3 + f];
            Assert.That(got[(oi * 2 + oj) * 3 + f], Is.EqualTo(a).Within(1e-5));
        }
    }

    [Test]
    public void Conv1DAndConv2DTransposeNamesAndShapes()
    {
        var g = new Graph();
        var seq = g.Placeholder(DType.Float32, new Shape(-1, 8, 3), "seq");
        var c1 = TfLayers.Conv1D(seq, 4, 3, padding: "same");
        var img = g.Placeholder(DType.Float32, new Shape(2, 3, 3, 2), "img");
        var t = TfLayers.Conv2DTranspose(img, 5, 2, strides: 2);
        Assert.Multiple(() =>
        {
            Assert.That(g.GlobalVariables.Select(v => v.Name), Is.EqualTo(new[] { "conv1d/kernel", "conv1d/bias", "conv2d_transpose/kernel", "conv2d_transpose/bias" }));
            Assert.That(g.GlobalVariables[0].Shape.ToArray(), Is.EqualTo(new[] { 3, 3, 4 }));
            Assert.That(g.GlobalVariables[2].Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 5, 2 }));
            Assert.That(g.TryGetOperation("conv1d/conv1d"), Is.Not.Null);
            Assert.That(c1.Shape.ToArray(), Is.EqualTo(new[] { -1, 8, 4 }));
            Assert.That(g.TryGetOperation("conv2d_transpose/conv2d_transpose"), Is.Not.Null);
            Assert.That(t.Shape.ToArray(), Is.EqualTo(new[] { 2, 6, 6, 5 }));
        });
        // Stride 2 with a 2x2 kernel: each input pixel paints its own 2x2 block.
        using var s = Init(g);
        var xv = Rand(36, 2);
        var r = s.Run([t, g.GlobalVariables[2].Value], new FeedDict { [img] = Tensor.Create(xv, 2, 3, 3, 2) });
        var k = r[1].ToArray<float>();
        var got = r[0].ToArray<float>();
        for (int n = 0; n < 2; n++)
        for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
        for (int f = 0; f < 5; f++)
        {
            double a = 0;
            for (int c = 0; c < 2; c++)
                a += xv[((n * 3 + i / 2) * 3 + j / 2) * 2 + c] * k[(((i % 2) * 2 + j % 2) * 5 + f) * 2 + c];
            Assert.That(got[((n * 6 + i) * 6 + j) * 5 + f], Is.EqualTo(a).Within(1e-5));
        }
    }

    [Test]
    public void PoolingAndFlatten()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(1, 4, 4, 1), "x");
        var mp = TfLayers.MaxPooling2D(x, 2, 2);
        var ap = TfLayers.AveragePooling2D(x, 2, 2);
        var fl = TfLayers.Flatten(mp);
        var seq = g.Placeholder(DType.Float32, new Shape(1, 4, 1), "seq");
        var mp1 = TfLayers.MaxPooling1D(seq, 2, 2);
        var ap1 = TfLayers.AveragePooling1D(seq, 2, 2);
        var mp2 = TfLayers.MaxPooling2D(x, 2, 2);
        Assert.Multiple(() =>
        {
            Assert.That(mp.Op.Name, Is.EqualTo("max_pooling2d/MaxPool"));
            Assert.That(ap.Op.Name, Is.EqualTo("average_pooling2d/AvgPool"));
            Assert.That(fl.Op.Name, Does.StartWith("flatten/"));
            Assert.That(mp1.Op.Name, Is.EqualTo("max_pooling1d/Squeeze"));
            Assert.That(ap1.Op.Name, Is.EqualTo("average_pooling1d/Squeeze"));
            Assert.That(mp2.Op.Name, Is.EqualTo("max_pooling2d_1/MaxPool"));
            Assert.That(fl.Shape.ToArray(), Is.EqualTo(new[] { 1, 4 }));
            Assert.That(g.GlobalVariables, Is.Empty);
        });
        using var s = new Session(g);
        var xv = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        var r = s.Run([mp, ap, fl, mp1, ap1], new FeedDict { [x] = Tensor.Create(xv, 1, 4, 4, 1), [seq] = Tensor.Create(new[] { 1f, 5f, 2f, 0f }, 1, 4, 1) });
        Assert.Multiple(() =>
        {
            Assert.That(r[0].ToArray<float>(), Is.EqualTo(new[] { 5f, 7f, 13f, 15f }));
            Assert.That(r[1].ToArray<float>(), Is.EqualTo(new[] { 2.5f, 4.5f, 10.5f, 12.5f }));
            Assert.That(r[2].ToArray<float>(), Is.EqualTo(new[] { 5f, 7f, 13f, 15f }));
            Assert.That(r[3].ToArray<float>(), Is.EqualTo(new[] { 5f, 2f }));
            Assert.That(r[4].ToArray<float>(), Is.EqualTo(new[] { 3f, 1f }));
        });
    }

    [Test]
    public void DropoutTrainingFlagAndTensor()
    {
        var g = new Graph { Seed = 5 };
        var x = g.Placeholder(DType.Float32, new Shape(200, 50), "x");
        var off = TfLayers.Dropout(x, 0.5);
        var on = TfLayers.Dropout(x, 0.3, training: true);
        var flag = g.Placeholder(DType.Bool, Shape.Scalar, "training");
        var cond = TfLayers.Dropout(x, flag, rate: 0.3);
        Assert.Multiple(() =>
        {
            Assert.That(off.Op.Name, Is.EqualTo("dropout/Identity"));
            Assert.That(on.Op.Name, Does.StartWith("dropout_1/"));
            Assert.That(cond.Op.Name, Is.EqualTo("dropout_2/cond/Merge"));
        });
        using var s = new Session(g);
        var ones = Tensor.Create(Enumerable.Repeat(1f, 10000).ToArray(), 200, 50);
        var r = s.Run([off, on], new FeedDict { [x] = ones });
        Assert.That(r[0].ToArray<float>(), Is.All.EqualTo(1f));
        var kept = r[1].ToArray<float>();
        Assert.That(kept.All(v => v == 0f || Math.Abs(v - 1 / 0.7f) < 1e-5), Is.True);
        Assert.That(kept.Average(), Is.EqualTo(1.0).Within(0.05)); // E[x] kept
        Assert.That(kept.Count(v => v == 0f) / 10000.0, Is.EqualTo(0.3).Within(0.03));
        Assert.That(s.Run(cond, new FeedDict { [x] = ones, [flag] = Tensor.Scalar(false) }).ToArray<float>(), Is.All.EqualTo(1f));
        Assert.That(s.Run(cond, new FeedDict { [x] = ones, [flag] = Tensor.Scalar(true) }).ToArray<float>(), Has.Some.EqualTo(0f));
    }

    [Test]
    public void BatchNormalizationTrainingAndInference()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 2), "x");
        var train = TfLayers.BatchNormalization(x, momentum: 0.9, training: true);
        var vars = g.GlobalVariables;
        Assert.Multiple(() =>
        {
            Assert.That(vars.Select(v => v.Name), Is.EqualTo(new[] { "batch_normalization/gamma", "batch_normalization/beta",
                "batch_normalization/moving_mean", "batch_normalization/moving_variance" }));
            Assert.That(g.TrainableVariables.Select(v => v.Name), Is.EqualTo(new[] { "batch_normalization/gamma", "batch_normalization/beta" }));
            Assert.That(g.GetCollection<Operation>(GraphKeys.UpdateOps).Select(o => o.Name),
                Is.EqualTo(new[] { "batch_normalization/AssignMovingAvg", "batch_normalization/AssignMovingAvg_1" }));
        });
        var infer = TfLayers.BatchNormalization(x, name: "batch_normalization", reuse: true);
        Assert.That(g.GlobalVariables, Has.Count.EqualTo(4));
        Assert.That(g.GetCollection<Operation>(GraphKeys.UpdateOps), Has.Count.EqualTo(2)); // training=False adds no updates

        using var s = Init(g);
        float[] xv = [1, 10, 3, 20, 5, 60];
        var feed = new FeedDict { [x] = Tensor.Create(xv, 3, 2) };
        double[] mean = [3, 30], var = [8.0 / 3, 1400.0 / 3];
        var y = s.Run(train, feed).ToArray<float>();
        for (int n = 0; n < 3; n++)
        for (int c = 0; c < 2; c++)
            Assert.That(y[n * 2 + c], Is.EqualTo((xv[n * 2 + c] - mean[c]) / Math.Sqrt(var[c] + 1e-3)).Within(1e-4));
        // Inference before any update: moving mean 0, variance 1.
        var yi = s.Run(infer, feed).ToArray<float>();
        for (int i = 0; i < 6; i++) Assert.That(yi[i], Is.EqualTo(xv[i] / Math.Sqrt(1 + 1e-3)).Within(1e-4));
        s.Run([], feed, [.. g.GetCollection<Operation>(GraphKeys.UpdateOps)]);
        var mm = s.Run(vars[2].Value).ToArray<float>();
        var mv = s.Run(vars[3].Value).ToArray<float>();
        for (int c = 0; c < 2; c++)
        {
            Assert.That(mm[c], Is.EqualTo(0.1 * mean[c]).Within(1e-4));
            Assert.That(mv[c], Is.EqualTo(0.9 + 0.1 * var[c]).Within(1e-3));
        }
        yi = s.Run(infer, feed).ToArray<float>();
        for (int n = 0; n < 3; n++)
        for (int c = 0; c < 2; c++)
            Assert.That(yi[n * 2 + c], Is.EqualTo((xv[n * 2 + c] - mm[c]) / Math.Sqrt(mv[c] + 1e-3)).Within(1e-3));
    }

    [Test]
    public void BatchNormalizationWithATrainingTensor()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 1), "x");
        var flag = g.Placeholder(DType.Bool, Shape.Scalar, "training");
        var y = TfLayers.BatchNormalization(x, flag, momentum: 0.5);
        var mean = g.GlobalVariables[2];
        using var s = Init(g);
        var feed = new FeedDict { [x] = Tensor.Create(new[] { 2f, 4f }, 2, 1), [flag] = Tensor.Scalar(false) };
        var updates = g.GetCollection<Operation>(GraphKeys.UpdateOps).ToArray();
        s.Run([y], feed, updates);
        Assert.That(s.Run(mean.Value).ToArray<float>()[0], Is.EqualTo(0f)); // inference: the update moves nothing
        feed = new FeedDict { [x] = Tensor.Create(new[] { 2f, 4f }, 2, 1), [flag] = Tensor.Scalar(true) };
        var r = s.Run([y], feed, updates)[0].ToArray<float>();
        Assert.That(r[0], Is.EqualTo(-1 / Math.Sqrt(1 + 1e-3)).Within(1e-4));
        Assert.That(s.Run(mean.Value).ToArray<float>()[0], Is.EqualTo(1.5f).Within(1e-5));
    }

    [Test]
    public void SmallClassifierTrainsWithUpdateOps()
    {
        var g = new Graph { Seed = 42 };
        var x = g.Placeholder(DType.Float32, new Shape(-1, 4, 4, 1), "x");
        var labels = g.Placeholder(DType.Int32, new Shape(-1), "labels");
        var training = g.Placeholder(DType.Bool, Shape.Scalar, "training");
        var h = TfLayers.Conv2D(x, 4, 3, padding: "same", activation: v => g.Relu(v));
        h = TfLayers.MaxPooling2D(h, 2, 2);
        h = TfLayers.Flatten(h);
        h = TfLayers.Dense(h, 8);
        h = TfLayers.BatchNormalization(h, training);
        h = g.Relu(h);
        h = TfLayers.Dropout(h, training, rate: 0.1, seed: 1);
        var logits = TfLayers.Dense(h, 2, name: "logits");
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(labels, logits));
        Operation trainOp;
        using (g.ControlDependencies([.. g.GetCollection<Operation>(GraphKeys.UpdateOps)]))
            trainOp = new GradientDescentOptimizer(0.2).Minimize(loss);

        // Synthetic data: class 1 has its bright pixel in the top half.
        var rnd = new Random(3);
        int n = 64;
        var xs = new float[n * 16];
        var ys = new int[n];
        for (int i = 0; i < n; i++)
        {
            ys[i] = i % 2;
            for (int p = 0; p < 16; p++) xs[i * 16 + p] = (float)(rnd.NextDouble() * 0.2);
            xs[i * 16 + (ys[i] == 1 ? rnd.Next(8) : 8 + rnd.Next(8))] += 1f;
        }
        var xt = Tensor.Create(xs, n, 4, 4, 1);
        var yt = Tensor.Create(ys, n);
        using var s = Init(g);
        float Eval() => s.Run(loss, new FeedDict { [x] = xt, [labels] = yt, [training] = Tensor.Scalar(false) }).ToArray<float>()[0];
        var before = Eval();
        for (int step = 0; step < 60; step++) s.Run([], new FeedDict { [x] = xt, [labels] = yt, [training] = Tensor.Scalar(true) }, trainOp);
        var after = Eval();
        Assert.That(after, Is.LessThan(before * 0.5), $"loss {before} -> {after}");
        Assert.That(s.Run(g.GetGlobalVariables("batch_normalization/moving_mean")[0].Value).ToArray<float>(), Has.Some.Not.EqualTo(0f));
    }
}
