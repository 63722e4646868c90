using TensorGraph.Keras.Callbacks;
using TensorGraph.Keras.Layers;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras.Tests;

public class FitTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 5);

    /// <summary>Records each training batch's size and loss.</summary>
    private sealed class BatchRecorder : Callback
    {
        public List<(int Epoch, int Size, double Loss)> Batches { get; } = [];
        private int _epoch;

        public override void OnEpochBegin(int epoch, IDictionary<string, double> logs) => _epoch = epoch;

        public override void OnTrainBatchEnd(int batch, IDictionary<string, double> logs) =>
            Batches.Add((_epoch, (int)logs["size"], logs["loss"]));
    }

    /// <summary>
    /// A model whose prediction is 0 whatever the input (kernel 0, learning rate 0) trained with
    /// mae: a batch's loss is the mean of its targets, so targets 0..n−1 reveal the sample order.
    /// </summary>
    private static Sequential ProbeModel()
    {
        var model = new Sequential(new Dense(1, useBias: false, kernelInitializer: "zeros", inputShape: [1]));
        model.Compile(new SGD(0), "mae", ["mae"]);
        return model;
    }

    private static (Tensor X, Tensor Y) Indexed(int n) =>
        (Tensor.Create(Enumerable.Repeat(1f, n).ToArray(), n, 1), Tensor.Create(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n));

    [Test]
    public void ShortLastBatchAndNoShuffle()
    {
        var model = ProbeModel();
        var (x, y) = Indexed(10);
        var rec = new BatchRecorder();
        var h = model.Fit(x, y, batchSize: 4, epochs: 1, verbose: 0, callbacks: [rec], shuffle: false);
        Assert.That(rec.Batches.Select(b => b.Size), Is.EqualTo(new[] { 4, 4, 2 }));
        Assert.That(rec.Batches.Select(b => b.Loss), Is.EqualTo(new[] { 1.5, 5.5, 8.5 }).Within(1e-6));
        Assert.That(h["loss"][0], Is.EqualTo(4.5).Within(1e-6));
        Assert.That(h["mae"][0], Is.EqualTo(4.5).Within(1e-6));
        Assert.That(h.Epoch, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void ShufflesEveryEpochWithTheModelsRandom()
    {
        var model = ProbeModel();
        model.Random = new Random(42);
        var (x, y) = Indexed(8);
        var rec = new BatchRecorder();
        model.Fit(x, y, batchSize: 1, epochs: 2, verbose: 0, callbacks: [rec]);
        var expect = new Random(42);
        var e0 = Enumerable.Range(0, 8).ToArray();
        expect.Shuffle(e0);
        var e1 = Enumerable.Range(0, 8).ToArray();
        expect.Shuffle(e1);
        Assert.That(rec.Batches.Where(b => b.Epoch == 0).Select(b => (int)b.Loss), Is.EqualTo(e0));
        Assert.That(rec.Batches.Where(b => b.Epoch == 1).Select(b => (int)b.Loss), Is.EqualTo(e1));
        Assert.That(e0, Is.Not.EqualTo(e1));
    }

    [Test]
    public void ValidationSplitTakesTheLastFractionBeforeShuffling()
    {
        var model = ProbeModel();
        var (x, y) = Indexed(10);
        var rec = new BatchRecorder();
        // int(10 * (1 - 0.25)) = 7: samples 0..6 train, 7..9 validate.
        var h = model.Fit(x, y, batchSize: 1, epochs: 1, verbose: 0, callbacks: [rec], validationSplit: 0.25);
        Assert.That(rec.Batches.Select(b => (int)b.Loss).Order(), Is.EqualTo(Enumerable.Range(0, 7)));
        Assert.That(h["val_loss"][0], Is.EqualTo(8.0).Within(1e-6));
        Assert.That(h["val_mae"][0], Is.EqualTo(8.0).Within(1e-6));
        Assert.That(h["loss"][0], Is.EqualTo(3.0).Within(1e-6));
    }

    [Test]
    public void ValidationDataInitialEpochAndEvaluate()
    {
        var model = ProbeModel();
        var (x, y) = Indexed(6);
        var (vx, vy) = Indexed(3);
        var h = model.Fit(x, y, batchSize: 4, epochs: 3, initialEpoch: 1, verbose: 0, validationData: (vx, vy));
        Assert.That(h.Epoch, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(h["val_loss"], Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-6));
        var r = model.Evaluate(x, y, batchSize: 4, verbose: 0);
        Assert.That(model.MetricsNames, Is.EqualTo(new[] { "loss", "mae" }));
        Assert.That(r, Is.EqualTo(new[] { 2.5, 2.5 }).Within(1e-6));
    }

    [Test]
    public void PredictConcatenatesEveryBatch()
    {
        var model = new Sequential(new Dense(2, useBias: false, inputShape: [1]));
        model.SetWeights([Tensor.Create(new[] { 2f, -1f }, 1, 2)]);
        var (x, _) = Indexed(70);
        var xs = Tensor.Create(Enumerable.Range(0, 70).Select(i => (float)i).ToArray(), 70, 1);
        var p = model.Predict(xs, batchSize: 32);
        Assert.That(p.Dims.ToArray(), Is.EqualTo(new[] { 70, 2 }));
        var v = p.ToArray<float>();
        for (int i = 0; i < 70; i++)
        {
            Assert.That(v[2 * i], Is.EqualTo(2f * i));
            Assert.That(v[2 * i + 1], Is.EqualTo(-1f * i));
        }
        Assert.That(x.Dims[0], Is.EqualTo(70));
    }

    [Test]
    public void ArraysAndAccuracyResolution()
    {
        var model = new Sequential(new Dense(3, activation: "softmax", inputShape: [2]));
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"]);
        model.SetWeights([Tensor.Create(new[] { 1f, 0, 0, 0, 1, 0 }, 2, 3), Tensor.Create(new[] { 0f, 0, 0 }, 3)]);
        var x = new float[,] { { 5, 0 }, { 0, 5 }, { 0, 0.1f }, { 3, 0 } };
        var y = new[] { 0, 1, 2, 2 };
        var r = model.Evaluate(x, y, verbose: 0);
        // argmax: 0, 1, 1, 0 → two right of four.
        Assert.That(r[1], Is.EqualTo(0.5).Within(1e-6));
        double Ce(double[] z, int label) => -(z[label] - Math.Log(z.Sum(Math.Exp)));
        double expect = (Ce([5, 0, 0], 0) + Ce([0, 5, 0], 1) + Ce([0, 0.1, 0], 2) + Ce([3, 0, 0], 2)) / 4;
        Assert.That(r[0], Is.EqualTo(expect).Within(1e-5));
        foreach (var name in new[] { "dense_target", "loss/dense_loss/Cast", "loss/dense_loss/SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits",
                     "loss/dense_loss/num_elements/Cast", "loss/dense_loss/value", "loss/mul" })
            Assert.That(model.Graph.TryGetOperation(name), Is.Not.Null, name);
        // The softmax bypass: the loss reads the logits under the Softmax op.
        Assert.That(model.Graph.GetOperation("loss/dense_loss/Reshape_1").Inputs[0].Op.Name, Is.EqualTo("dense/BiasAdd"));
    }

    [Test]
    public void CategoricalAndBinaryCrossentropyClipProbabilities()
    {
        // Outputs not from a Softmax/Sigmoid op: Keras clips to [1e-7, 1 - 1e-7].
        var input = Keras.Input([2]);
        var model = new Model(input, new Activation("linear").Apply(input));
        model.Compile("sgd", "categorical_crossentropy", ["accuracy"]);
        var x = Tensor.Create(new[] { 0.25f, 0.75f, 1f, 0f }, 2, 2);
        var y = Tensor.Create(new[] { 0f, 1f, 0f, 1f }, 2, 2);
        var r = model.Evaluate(x, y, verbose: 0);
        double l = (-Math.Log(0.75) - Math.Log(1e-7)) / 2;
        Assert.That(r[0], Is.EqualTo(l).Within(1e-4));
        Assert.That(r[1], Is.EqualTo(0.5).Within(1e-6));

        Backend.ClearSession();
        var i2 = Keras.Input([1]);
        var m2 = new Model(i2, new Activation("linear").Apply(i2));
        m2.Compile("sgd", "binary_crossentropy", ["accuracy"]);
        var r2 = m2.Evaluate(Tensor.Create(new[] { 0.9f, 0.2f }, 2, 1), Tensor.Create(new[] { 1f, 1f }, 2), verbose: 0);
        Assert.That(r2[0], Is.EqualTo((-Math.Log(0.9) - Math.Log(0.2)) / 2).Within(1e-5));
        Assert.That(r2[1], Is.EqualTo(0.5).Within(1e-6));
    }

    [Test]
    public void MultiOutputLossesAreNamedPerOutput()
    {
        var input = Keras.Input([1]);
        var a = new Dense(1, useBias: false, kernelInitializer: "ones", name: "a").Apply(input);
        var b = new Dense(1, useBias: false, kernelInitializer: "zeros", name: "b").Apply(input);
        var model = new Model([input], [a, b]);
        model.Compile(new SGD(0), "mse", lossWeights: [1.0, 0.5]);
        var x = Tensor.Create(new[] { 1f, 2f }, 2, 1);
        var r = model.Evaluate([x], [Tensor.Create(new[] { 0f, 0f }, 2), Tensor.Create(new[] { 1f, 1f }, 2)], verbose: 0);
        Assert.That(model.MetricsNames, Is.EqualTo(new[] { "loss", "a_loss", "b_loss" }));
        Assert.That(r, Is.EqualTo(new[] { 2.5 + 0.5, 2.5, 1.0 }).Within(1e-6));
    }

    [Test]
    public void LossDropsOnMnistLikeData()
    {
        // Ten classes, each a noisy prototype of 64 pixels.
        var rng = new Random(7);
        var protos = Enumerable.Range(0, 10).Select(_ => Enumerable.Range(0, 64).Select(_ => (float)rng.NextDouble()).ToArray()).ToArray();
        int n = 1000;
        var x = new float[n * 64];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 10;
            for (int j = 0; j < 64; j++) x[i * 64 + j] = protos[y[i]][j] + (float)(rng.NextDouble() - 0.5) * 0.6f;
        }
        var model = new Sequential(new Dense(32, activation: "relu"), new Dense(10, activation: "softmax"));
        model.Compile(optimizer: "rmsprop", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        model.Random = new Random(1);
        var h = model.Fit(Tensor.Create(x, n, 64), Tensor.FromArray(y), epochs: 5, batchSize: 32, verbose: 0);
        Assert.That(h["loss"][4], Is.LessThan(h["loss"][0] * 0.5));
        Assert.That(h["accuracy"][4], Is.GreaterThan(0.9));
        var r = model.Evaluate(Tensor.Create(x, n, 64), Tensor.FromArray(y), verbose: 0);
        Assert.That(r[1], Is.GreaterThan(0.9));
    }

    [Test]
    public void NotCompiledOrNotBuiltRaises()
    {
        var model = new Sequential(new Dense(2, inputShape: [2]));
        Assert.Throws<InvalidOperationException>(() => model.Fit(Tensor.Create(new[] { 1f, 2 }, 1, 2), Tensor.Create(new[] { 1f, 2 }, 1, 2), verbose: 0));
        var deferred = new Sequential(new Dense(2));
        Assert.Throws<InvalidOperationException>(() => _ = deferred.Graph);
        Assert.Throws<InvalidOperationException>(() => deferred.Summary());
    }
}

public class FunctionalFitTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 23);

    [Test]
    public void TwoInputsTwoOutputsTrain()
    {
        var a = Keras.Input([2], name: "a");
        var b = Keras.Input([2], name: "b");
        var h = new Dense(8, activation: "tanh").Apply(new Concatenate().Apply(a, b));
        var sum = new Dense(1, name: "sum").Apply(h);
        var cls = new Dense(2, activation: "softmax", name: "cls").Apply(h);
        var model = new Model([a, b], [sum, cls]);
        model.Compile(new Adam(0.02), new object[] { "mse", "sparse_categorical_crossentropy" }, ["accuracy"]);
        Assert.That(model.MetricsNames, Is.EqualTo(new[] { "loss", "sum_loss", "cls_loss", "sum_accuracy", "cls_accuracy" }));
        var rng = new Random(3);
        int n = 128;
        var xa = Enumerable.Range(0, n * 2).Select(_ => (float)rng.NextDouble()).ToArray();
        var xb = Enumerable.Range(0, n * 2).Select(_ => (float)rng.NextDouble()).ToArray();
        var ys = Enumerable.Range(0, n).Select(i => xa[2 * i] + xb[2 * i + 1]).ToArray();
        var yc = Enumerable.Range(0, n).Select(i => xa[2 * i] > xb[2 * i] ? 1 : 0).ToArray();
        model.Random = new Random(5);
        var hist = model.Fit([Tensor.Create(xa, n, 2), Tensor.Create(xb, n, 2)], [Tensor.Create(ys, n), Tensor.FromArray(yc)], batchSize: 16, epochs: 30, verbose: 0);
        Assert.That(hist["sum_loss"][29], Is.LessThan(hist["sum_loss"][0] * 0.2));
        Assert.That(hist["cls_accuracy"][29], Is.GreaterThan(0.85));
        Assert.That(hist["loss"][29], Is.EqualTo(hist["sum_loss"][29] + hist["cls_loss"][29]).Within(1e-4));
        var outs = model.PredictMany([Tensor.Create(xa, n, 2), Tensor.Create(xb, n, 2)]);
        Assert.That(outs[0].Dims.ToArray(), Is.EqualTo(new[] { n, 1 }));
        Assert.That(outs[1].Dims.ToArray(), Is.EqualTo(new[] { n, 2 }));
    }
}

public class WeightedFitTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 29);

    [Test]
    public void ClassAndSampleWeightsScaleEachSamplesLoss()
    {
        // Prediction 0 (kernel 0, rate 0), mae: sample losses are the targets 1 and 2.
        var model = new Sequential(new Dense(1, useBias: false, kernelInitializer: "zeros", inputShape: [1]));
        model.Compile(new SGD(0), "mae", ["mae"]);
        Assert.That(model.Graph.TryGetOperation("dense_sample_weights"), Is.Not.Null);
        var x = Tensor.Create(new[] { 1f, 1f }, 2, 1);
        var y = Tensor.Create(new[] { 1f, 2f }, 2);
        var h = model.Fit(x, y, batchSize: 2, verbose: 0, shuffle: false, classWeight: new Dictionary<int, double> { [2] = 3.0 });
        Assert.That(h["loss"][0], Is.EqualTo((1 * 1 + 2 * 3) / 2.0).Within(1e-6));
        Assert.That(h["mae"][0], Is.EqualTo(1.5).Within(1e-6));
        h = model.Fit(x, y, batchSize: 2, verbose: 0, shuffle: false, sampleWeight: Tensor.Create(new[] { 0.5f, 0f }, 2));
        Assert.That(h["loss"][0], Is.EqualTo(0.25).Within(1e-6));
        h = model.Fit(x, y, batchSize: 2, verbose: 0, shuffle: false);
        Assert.That(h["loss"][0], Is.EqualTo(1.5).Within(1e-6));
        Assert.That(model.Evaluate(x, y, verbose: 0)[0], Is.EqualTo(1.5).Within(1e-6));
    }
}
