using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras.Tests;

public class LayerTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 1);

    private static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1))];
    }

    [Test]
    public void DenseNamesAndValues()
    {
        var model = new Sequential(new Dense(4, activation: "relu", inputShape: [3]), new Dense(2, activation: "softmax"));
        var g = model.Graph;
        Assert.That(model.Inputs[0].Output.Op.Name, Is.EqualTo("dense_input"));
        Assert.That(model.Weights.Select(w => w.Name), Is.EqualTo(new[] { "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias" }));
        foreach (var n in new[] { "dense/MatMul", "dense/BiasAdd", "dense/Relu", "dense_1/MatMul", "dense_1/BiasAdd", "dense_1/Softmax",
                     "dense/kernel/Initializer/random_uniform", "dense/bias/Initializer/zeros" })
            Assert.That(g.GetOperation(n), Is.Not.Null, n);
        Assert.That(model.OutputNames, Is.EqualTo(new[] { "dense_1" }));

        var w = model.GetWeights();
        var k = w[0].ToArray<float>();
        double limit = Math.Sqrt(6.0 / (3 + 4));
        Assert.That(k.All(v => Math.Abs(v) <= limit), Is.True);
        Assert.That(k.Distinct().Count(), Is.EqualTo(12));
        Assert.That(w[1].ToArray<float>(), Is.All.EqualTo(0f));

        // Known weights: check relu(x·K + b) then softmax.
        var k1 = Rand(12, 1); var b1 = Rand(4, 2); var k2 = Rand(8, 3); var b2 = Rand(2, 4);
        model.SetWeights([Tensor.Create(k1, 3, 4), Tensor.Create(b1, 4), Tensor.Create(k2, 4, 2), Tensor.Create(b2, 2)]);
        var x = Rand(6, 5);
        var p = model.Predict(Tensor.Create(x, 2, 3)).ToArray<float>();
        for (int s = 0; s < 2; s++)
        {
            var h = new double[4];
            for (int j = 0; j < 4; j++)
            {
                double z = b1[j];
                for (int i = 0; i < 3; i++) z += x[s * 3 + i] * k1[i * 4 + j];
                h[j] = Math.Max(0, z);
            }
            var o = new double[2];
            for (int j = 0; j < 2; j++)
            {
                o[j] = b2[j];
                for (int i = 0; i < 4; i++) o[j] += h[i] * k2[i * 2 + j];
            }
            double m = o.Max(), e0 = Math.Exp(o[0] - m), e1 = Math.Exp(o[1] - m);
            Assert.That(p[s * 2], Is.EqualTo(e0 / (e0 + e1)).Within(1e-5));
            Assert.That(p[s * 2 + 1], Is.EqualTo(e1 / (e0 + e1)).Within(1e-5));
        }
    }

    [Test]
    public void DeferredSequentialBuildsUnderItsScope()
    {
        var model = new Sequential(new Dense(5, activation: "relu"), new Dense(3, activation: "softmax"));
        Assert.That(model.Built, Is.False);
        var y = model.Predict(Tensor.Create(Rand(8, 1), 2, 4));
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(model.Weights.Select(w => w.Name),
            Is.EqualTo(new[] { "sequential/dense/kernel", "sequential/dense/bias", "sequential/dense_1/kernel", "sequential/dense_1/bias" }));
        Assert.That(model.Graph.GetOperation("sequential/dense/MatMul"), Is.Not.Null);
        Assert.That(model.Inputs[0].Output.Op.Name, Is.EqualTo("input_1"));
        Assert.That(model.OutputNames, Is.EqualTo(new[] { "output_1" }));
    }

    [Test]
    public void LayerNamesCountPerClassInTheGraph()
    {
        var a = new Dense(1);
        var b = new Dense(1);
        var c = new Conv2D(2, 3);
        var d = new MaxPooling2D();
        var e = new GlobalAveragePooling2D();
        Assert.That(new[] { a.Name, b.Name, c.Name, d.Name, e.Name }, Is.EqualTo(new[] { "dense", "dense_1", "conv2d", "max_pooling2d", "global_average_pooling2d" }));
        Backend.ClearSession();
        Assert.That(new Dense(1).Name, Is.EqualTo("dense"));
    }

    [Test]
    public void Conv2DPoolingAndFlatten()
    {
        var input = Keras.Input([5, 5, 2]);
        var conv = new Conv2D(3, (2, 2), activation: "relu");
        var c = conv.Apply(input);
        var pool = new MaxPooling2D(poolSize: (2, 2)).Apply(c);
        var avg = new AveragePooling2D(poolSize: (2, 2)).Apply(c);
        var gap = new GlobalAveragePooling2D().Apply(c);
        var gmp = new GlobalMaxPooling2D().Apply(c);
        var flat = new Flatten().Apply(pool);
        Assert.That(c.Shape.ToArray(), Is.EqualTo(new[] { -1, 4, 4, 3 }));
        Assert.That(pool.Shape.ToArray(), Is.EqualTo(new[] { -1, 2, 2, 3 }));
        Assert.That(flat.Shape.ToArray(), Is.EqualTo(new[] { -1, 12 }));
        Assert.That(input.Output.Op.Name, Is.EqualTo("input_1"));
        var g = input.Graph;
        foreach (var n in new[] { "conv2d/Conv2D", "conv2d/BiasAdd", "conv2d/Relu", "max_pooling2d/MaxPool", "average_pooling2d/AvgPool", "flatten/Reshape" })
            Assert.That(g.GetOperation(n), Is.Not.Null, n);

        var model = new Model(input, flat);
        var multi = new Model([input], [c, pool, avg, gap, gmp]);
        var kernel = Rand(2 * 2 * 2 * 3, 7);
        var bias = Rand(3, 8);
        multi.SetWeights([Tensor.Create(kernel, 2, 2, 2, 3), Tensor.Create(bias, 3)]);
        var x = Rand(5 * 5 * 2, 9);
        var outs = multi.PredictMany([Tensor.Create(x, 1, 5, 5, 2)]);
        var cv = new double[4, 4, 3];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                for (int o = 0; o < 3; o++)
                {
                    double s = bias[o];
                    for (int di = 0; di < 2; di++)
                        for (int dj = 0; dj < 2; dj++)
                            for (int ch = 0; ch < 2; ch++)
                                s += x[((i + di) * 5 + (j + dj)) * 2 + ch] * kernel[((di * 2 + dj) * 2 + ch) * 3 + o];
                    cv[i, j, o] = Math.Max(0, s);
                    Assert.That(outs[0].ToArray<float>()[(i * 4 + j) * 3 + o], Is.EqualTo(cv[i, j, o]).Within(1e-5));
                }
        var mp = outs[1].ToArray<float>();
        var ap = outs[2].ToArray<float>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int o = 0; o < 3; o++)
                {
                    var win = new[] { cv[2 * i, 2 * j, o], cv[2 * i + 1, 2 * j, o], cv[2 * i, 2 * j + 1, o], cv[2 * i + 1, 2 * j + 1, o] };
                    Assert.That(mp[(i * 2 + j) * 3 + o], Is.EqualTo(win.Max()).Within(1e-5));
                    Assert.That(ap[(i * 2 + j) * 3 + o], Is.EqualTo(win.Average()).Within(1e-5));
                }
        for (int o = 0; o < 3; o++)
        {
            var all = Enumerable.Range(0, 16).Select(q => cv[q / 4, q % 4, o]).ToArray();
            Assert.That(outs[3].ToArray<float>()[o], Is.EqualTo(all.Average()).Within(1e-5));
            Assert.That(outs[4].ToArray<float>()[o], Is.EqualTo(all.Max()).Within(1e-5));
        }
        Assert.That(model.Predict(Tensor.Create(x, 1, 5, 5, 2)).ToArray<float>(), Is.EqualTo(mp).Within(1e-6));
    }

    [Test]
    public void MergeLayersMultiInputMultiOutput()
    {
        var a = Keras.Input([3]);
        var b = Keras.Input([3]);
        Assert.That(b.Output.Op.Name, Is.EqualTo("input_2"));
        var sum = new Add().Apply(a, b);
        var prod = new Multiply().Apply(a, b);
        var cat = new Concatenate().Apply(sum, prod);
        var model = new Model([a, b], [cat, sum]);
        Assert.That(model.Graph.GetOperation("add/add"), Is.Not.Null);
        Assert.That(model.Graph.GetOperation("multiply/mul"), Is.Not.Null);
        Assert.That(model.Graph.GetOperation("concatenate/concat"), Is.Not.Null);
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "input_1", "input_2", "add", "multiply", "concatenate" }));
        var xa = new float[] { 1, 2, 3, 4, 5, 6 };
        var xb = new float[] { 2, 0.5f, -1, 1, 1, 2 };
        var outs = model.PredictMany([Tensor.Create(xa, 2, 3), Tensor.Create(xb, 2, 3)]);
        Assert.That(outs[0].Dims.ToArray(), Is.EqualTo(new[] { 2, 6 }));
        Assert.That(outs[0].ToArray<float>(), Is.EqualTo(new float[] { 3, 2.5f, 2, 2, 1, -3, 5, 6, 8, 4, 5, 12 }));
        Assert.That(outs[1].ToArray<float>(), Is.EqualTo(new float[] { 3, 2.5f, 2, 5, 6, 8 }));
    }

    [Test]
    public void ReshapeActivationAndDropoutAtInference()
    {
        var model = new Sequential(new Reshape([2, -1], inputShape: [6]), new Activation("tanh"), new Dropout(0.5), new Flatten());
        var x = Rand(12, 3);
        var y = model.Predict(Tensor.Create(x, 2, 6));
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 2, 6 }));
        Assert.That(y.ToArray<float>(), Is.EqualTo(x.Select(v => (float)Math.Tanh(v)).ToArray()).Within(1e-6));
        var g = model.Graph;
        var lp = g.GetOperation("keras_learning_phase");
        Assert.That(lp.Type, Is.EqualTo("PlaceholderWithDefault"));
        Assert.That(g.GetOperation("keras_learning_phase/input"), Is.Not.Null);
        Assert.That(g.GetOperation("dropout/cond/Merge"), Is.Not.Null);
    }

    [Test]
    public void DropoutWhileTrainingDropsAndScales()
    {
        var model = new Sequential(new Dropout(0.25, inputShape: [1000]));
        var x = Enumerable.Repeat(1f, 1000).ToArray();
        var g = model.Graph;
        var y = model.Session.Run(model.Outputs[0].Output, new FeedDict { [model.Inputs[0].Output] = Tensor.Create(x, 1, 1000), [Backend.LearningPhase(g)] = Tensor.Scalar(true) }).ToArray<float>();
        Assert.That(y.All(v => v == 0f || Math.Abs(v - 1 / 0.75f) < 1e-6), Is.True);
        int kept = y.Count(v => v != 0);
        Assert.That(kept, Is.InRange(650, 850));
    }

    [Test]
    public void UnknownStringsRaise()
    {
        Assert.Throws<ArgumentException>(() => new Dense(3, activation: "relux"));
        Assert.Throws<ArgumentException>(() => new Dense(3, kernelInitializer: "glorot"));
        Assert.Throws<ArgumentException>(() => new Conv2D(3, 3, padding: "full"));
        var model = new Sequential(new Dense(2, inputShape: [2]));
        Assert.Throws<ArgumentException>(() => model.Compile("rmsprob", "mse"));
        Assert.Throws<ArgumentException>(() => model.Compile("sgd", "mean_squared_errors"));
        Assert.Throws<ArgumentException>(() => model.Compile("sgd", "mse", ["accuracyy"]));
        Assert.That(model.Optimizer, Is.Null);
    }
}

public class Layer1DTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 19);

    [Test]
    public void Conv1DAndMaxPooling1D()
    {
        var conv = new Conv1D(2, 3, inputShape: [6, 2]);
        var model = new Sequential(conv, new MaxPooling1D(2));
        var g = model.Graph;
        foreach (var n in new[] { "conv1d/conv1d/ExpandDims", "conv1d/conv1d", "conv1d/conv1d/Squeeze", "conv1d/BiasAdd", "max_pooling1d/MaxPool", "max_pooling1d/Squeeze" })
            Assert.That(g.TryGetOperation(n), Is.Not.Null, n);
        Assert.That(g.GetOperation("conv1d/conv1d").Type, Is.EqualTo("Conv2D"));
        Assert.That(model.Outputs[0].Shape.ToArray(), Is.EqualTo(new[] { -1, 2, 2 }));
        var rng = new Random(4);
        var k = Enumerable.Range(0, 3 * 2 * 2).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var b = new[] { 0.1f, -0.2f };
        model.SetWeights([Tensor.Create(k, 3, 2, 2), Tensor.Create(b, 2)]);
        var x = Enumerable.Range(0, 12).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var p = model.Predict(Tensor.Create(x, 1, 6, 2)).ToArray<float>();
        var c = new double[4, 2];
        for (int t = 0; t < 4; t++)
            for (int o = 0; o < 2; o++)
            {
                double s = b[o];
                for (int d = 0; d < 3; d++)
                    for (int ch = 0; ch < 2; ch++) s += x[(t + d) * 2 + ch] * k[(d * 2 + ch) * 2 + o];
                c[t, o] = s;
            }
        for (int t = 0; t < 2; t++)
            for (int o = 0; o < 2; o++) Assert.That(p[t * 2 + o], Is.EqualTo(Math.Max(c[2 * t, o], c[2 * t + 1, o])).Within(1e-5));
    }
}

public class SequentialEditingTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 31);

    [Test]
    public void AddAndPopOnABuiltModel()
    {
        var model = new Sequential(new Dense(3, activation: "relu", inputShape: [2]));
        model.Add(new Dense(4));
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "dense", "dense_1" }));
        Assert.That(model.Outputs[0].Shape.ToArray(), Is.EqualTo(new[] { -1, 4 }));
        var x = Tensor.Create(new[] { 1f, -2f }, 1, 2);
        Assert.That(model.Predict(x).Dims.ToArray(), Is.EqualTo(new[] { 1, 4 }));
        model.Pop();
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "dense" }));
        Assert.That(model.OutputNames, Is.EqualTo(new[] { "dense" }));
        var h = model.Predict(x);
        Assert.That(h.Dims.ToArray(), Is.EqualTo(new[] { 1, 3 }));
        var w = model.GetWeights();
        var k = w[0].ToArray<float>();
        for (int j = 0; j < 3; j++) Assert.That(h.ToArray<float>()[j], Is.EqualTo(Math.Max(0, k[j] - 2 * k[3 + j])).Within(1e-6));
        model.Add(new Dense(1, name: "head"));
        model.Compile("sgd", "mse");
        var hist = model.Fit(x, Tensor.Create(new[] { 1f }, 1), verbose: 0);
        Assert.That(hist["loss"], Has.Count.EqualTo(1));
        Assert.That(model.Weights.Select(v => v.Name), Is.EqualTo(new[] { "dense/kernel", "dense/bias", "head/kernel", "head/bias" }));
        model.Pop();
        model.Pop();
        Assert.That(model.Built, Is.False);
        Assert.Throws<InvalidOperationException>(() => model.Pop());
    }

    [Test]
    public void WeightsCheckpointLoadsIntoTheSameArchitectureInANewGraph()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-keras-w-" + Guid.NewGuid().ToString("N"));
        try
        {
            var a = new Sequential(new Dense(4, activation: "tanh", inputShape: [3]), new Dense(2));
            var x = Tensor.Create(new[] { 0.5f, -1f, 2f, 1f, 0f, -0.5f }, 2, 3);
            var pa = a.Predict(x).ToArray<float>();
            var path = a.SaveWeights(Path.Combine(dir, "weights"));
            Backend.ClearSession(seed: 99);
            var b = new Sequential(new Dense(4, activation: "tanh", inputShape: [3]), new Dense(2));
            Assert.That(b.Graph, Is.Not.SameAs(a.Graph));
            Assert.That(b.Predict(x).ToArray<float>(), Is.Not.EqualTo(pa));
            b.LoadWeights(path);
            Assert.That(b.Predict(x).ToArray<float>(), Is.EqualTo(pa));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
