using TensorGraph.Keras.Layers;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras.Tests;

public class NormalizationTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 13);

    [Test]
    public void BatchNormalizationTrainingInferenceAndMovingAverages()
    {
        var bn = new BatchNormalization(momentum: 0.9, inputShape: [2]);
        var model = new Sequential(bn);
        Assert.That(model.Weights.Select(w => w.Name), Is.EqualTo(new[]
            { "batch_normalization/gamma", "batch_normalization/beta", "batch_normalization/moving_mean", "batch_normalization/moving_variance" }));
        Assert.That(model.TrainableWeights, Has.Count.EqualTo(2));
        var x = new float[] { 1, 10, 3, 20, 5, 60 };
        var xt = Tensor.Create(x, 3, 2);
        // Inference at the start: moving mean 0, variance 1 → x / sqrt(1 + 1e-3).
        var p0 = model.Predict(xt).ToArray<float>();
        for (int i = 0; i < 6; i++) Assert.That(p0[i], Is.EqualTo(x[i] / Math.Sqrt(1.001)).Within(1e-4));

        // Training output: batch statistics (biased variance).
        double[] mean = [3, 30], var = [8.0 / 3, (400 + 100 + 900) / 3.0];
        var g = model.Graph;
        var train = model.Session.Run(model.Outputs[0].Output, new FeedDict { [model.Inputs[0].Output] = xt, [Backend.LearningPhase(g)] = Tensor.Scalar(true) }).ToArray<float>();
        for (int i = 0; i < 6; i++) Assert.That(train[i], Is.EqualTo((x[i] - mean[i % 2]) / Math.Sqrt(var[i % 2] + 1e-3)).Within(1e-4));

        // One fit step (learning rate 0) moves the statistics by (1 − momentum).
        model.Compile(new SGD(0), "mse");
        model.Fit(xt, Tensor.Create(new float[6], 3, 2), batchSize: 3, verbose: 0);
        var w = model.GetWeights();
        Assert.That(w[2].ToArray<float>(), Is.EqualTo(new[] { 0.1 * mean[0], 0.1 * mean[1] }).Within(1e-4));
        Assert.That(w[3].ToArray<float>(), Is.EqualTo(new[] { 0.9 + 0.1 * var[0], 0.9 + 0.1 * var[1] }).Within(1e-3));
        var p1 = model.Predict(xt).ToArray<float>();
        for (int i = 0; i < 6; i++)
            Assert.That(p1[i], Is.EqualTo((x[i] - w[2].ToArray<float>()[i % 2]) / Math.Sqrt(w[3].ToArray<float>()[i % 2] + 1e-3)).Within(1e-4));
    }

    [Test]
    public void BatchNormalizationTrainsGammaAndBeta()
    {
        var model = new Sequential(new Dense(4, inputShape: [3]), new BatchNormalization(), new Dense(1));
        model.Compile(new Adam(0.05), "mse");
        var rng = new Random(2);
        var x = Enumerable.Range(0, 64 * 3).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 64).Select(i => x[i * 3] * 2 - x[i * 3 + 1]).ToArray();
        model.Random = new Random(1);
        var h = model.Fit(Tensor.Create(x, 64, 3), Tensor.Create(y, 64), batchSize: 16, epochs: 20, verbose: 0);
        Assert.That(h["loss"][19], Is.LessThan(h["loss"][0] * 0.2));
    }

    [Test]
    public void EmbeddingLooksUpRows()
    {
        var emb = new Embedding(5, 2, inputLength: 3);
        var model = new Sequential(emb, new Flatten());
        Assert.That(model.Inputs[0].Output.Op.Name, Is.EqualTo("embedding_input"));
        Assert.That(model.Inputs[0].DType, Is.EqualTo(DType.Float32));
        Assert.That(model.Graph.TryGetOperation("embedding/Cast"), Is.Not.Null);
        var table = model.GetWeights()[0].ToArray<float>();
        Assert.That(table.All(v => Math.Abs(v) <= 0.05f), Is.True);
        var t = new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        model.SetWeights([Tensor.Create(t, 5, 2)]);
        var p = model.Predict(Tensor.Create(new float[] { 4, 0, 2, 1, 1, 3 }, 2, 3)).ToArray<float>();
        Assert.That(p, Is.EqualTo(new float[] { 8, 9, 0, 1, 4, 5, 2, 3, 2, 3, 6, 7 }));
    }

    [Test]
    public void EmbeddingTrains()
    {
        var model = new Sequential(new Embedding(4, 3, inputLength: 1), new Flatten(), new Dense(4, activation: "softmax"));
        model.Compile(new Adam(0.05), "sparse_categorical_crossentropy", ["accuracy"]);
        var ids = Tensor.Create(new float[] { 0, 1, 2, 3, 0, 1, 2, 3 }, 8, 1);
        var labels = Tensor.Create(new[] { 3, 2, 1, 0, 3, 2, 1, 0 }, 8);
        var h = model.Fit(ids, labels, batchSize: 8, epochs: 60, verbose: 0);
        Assert.That(h["accuracy"][59], Is.EqualTo(1.0));
        Assert.That(h["loss"][59], Is.LessThan(h["loss"][0] * 0.5));
    }
}
