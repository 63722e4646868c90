using PureHDF;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras.Tests;

public class H5WeightsTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        Backend.ClearSession(seed: 41);
        _dir = Path.Combine(Path.GetTempPath(), "tg-keras-h5-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    [Test]
    public void RoundTripIsBitExactWithKerasLayout()
    {
        var model = new Sequential(new Dense(4, activation: "relu", inputShape: [3]), new Dropout(0.5), new Dense(2));
        var before = model.GetWeights();
        var path = Path.Combine(_dir, "weights.h5");
        Assert.That(model.SaveWeights(path), Is.EqualTo(path));

        using (var file = H5File.OpenRead(path))
        {
            Assert.That(file.Attribute("layer_names").Read<string[]>().Select(s => s.TrimEnd('\0')), Is.EqualTo(new[] { "dense", "dropout", "dense_1" }));
            Assert.That(file.Attribute("backend").Read<string>().TrimEnd('\0'), Is.EqualTo("tensorflow"));
            var dense = file.Group("dense");
            Assert.That(dense.Attribute("weight_names").Read<string[]>().Select(s => s.TrimEnd('\0')), Is.EqualTo(new[] { "dense/kernel:0", "dense/bias:0" }));
            var kernel = file.Group("dense").Group("dense").Dataset("kernel:0");
            Assert.That(kernel.Space.Dimensions, Is.EqualTo(new ulong[] { 3, 4 }));
            Assert.That(kernel.Read<float[]>(), Is.EqualTo(before[0].ToArray<float>()));
            Assert.That(file.Group("dense_1").Group("dense_1").Dataset("bias:0").Read<float[]>(), Is.EqualTo(before[3].ToArray<float>()));
        }

        // Into a fresh model of the same architecture in a new graph: bit-exact weights.
        Backend.ClearSession(seed: 42);
        var other = new Sequential(new Dense(4, activation: "relu", inputShape: [3]), new Dropout(0.5), new Dense(2));
        Assert.That(other.GetWeights()[0].ToArray<float>(), Is.Not.EqualTo(before[0].ToArray<float>()));
        other.LoadWeights(path);
        var after = other.GetWeights();
        for (int i = 0; i < before.Length; i++)
        {
            Assert.That(after[i].Dims.ToArray(), Is.EqualTo(before[i].Dims.ToArray()));
            Assert.That(after[i].ToArray<float>(), Is.EqualTo(before[i].ToArray<float>()));
        }

        Backend.ClearSession();
        var wrong = new Sequential(new Dense(5, inputShape: [3]), new Dense(2));
        Assert.Throws<ArgumentException>(() => wrong.LoadWeights(path));
    }

    [Test]
    public void LoadsAFileWrittenWithKerasSaveCodeThroughH5py()
    {
        // Data/keras_layout_weights.h5 was written by Data/make_keras_layout_h5.py: h5py running
        // Keras's save_weights_to_hdf5_group steps (bytes attributes, an empty float64
        // weight_names for Dropout).
        var model = new Sequential(new Dense(4, activation: "relu", inputShape: [3]), new Dropout(0.5), new Dense(2));
        model.LoadWeights(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "keras_layout_weights.h5"));
        var w = model.GetWeights();
        var k1 = Enumerable.Range(0, 12).Select(i => i / 10f - 0.5f).ToArray();
        var b1 = new[] { 0.1f, -0.2f, 0.3f, 0f };
        var k2 = Enumerable.Range(0, 8).Select(i => i / 4f - 1f).ToArray();
        var b2 = new[] { 0.5f, -0.5f };
        Assert.That(w[0].ToArray<float>(), Is.EqualTo(k1));
        Assert.That(w[1].ToArray<float>(), Is.EqualTo(b1));
        Assert.That(w[2].ToArray<float>(), Is.EqualTo(k2));
        Assert.That(w[3].ToArray<float>(), Is.EqualTo(b2));
        var x = new[] { 1f, -1f, 2f };
        var p = model.Predict(Tensor.Create(x, 1, 3)).ToArray<float>();
        var h = Enumerable.Range(0, 4).Select(j => Math.Max(0, b1[j] + x[0] * k1[j] + x[1] * k1[4 + j] + x[2] * k1[8 + j])).ToArray();
        for (int o = 0; o < 2; o++)
            Assert.That(p[o], Is.EqualTo(b2[o] + Enumerable.Range(0, 4).Sum(j => h[j] * k2[j * 2 + o])).Within(1e-5));
    }

    [Test]
    public void WholeSequentialModelRoundTrip()
    {
        var model = new Sequential(
            new Conv2D(3, (3, 3), activation: "relu", inputShape: [6, 6, 1]),
            new MaxPooling2D(poolSize: (2, 2)),
            new Flatten(),
            new Dropout(0.25),
            new Dense(4, activation: "softmax"));
        var rng = new Random(8);
        var x = Tensor.Create(Enumerable.Range(0, 2 * 36).Select(_ => (float)rng.NextDouble()).ToArray(), 2, 6, 6, 1);
        var expected = model.Predict(x).ToArray<float>();
        var path = Path.Combine(_dir, "model.h5");
        model.Save(path);

        using (var file = H5File.OpenRead(path))
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(file.Attribute("model_config").Read<string>().TrimEnd('\0'))!;
            Assert.That((string?)json["class_name"], Is.EqualTo("Sequential"));
            var layers = json["config"]!["layers"]!.AsArray();
            Assert.That(layers.Select(l => (string?)l!["class_name"]), Is.EqualTo(new[] { "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense" }));
            Assert.That(layers[0]!["config"]!["batch_input_shape"]!.ToJsonString(), Is.EqualTo("[null,6,6,1]"));
            Assert.That(layers[4]!["config"]!["units"]!.GetValue<int>(), Is.EqualTo(4));
            Assert.That(file.Group("model_weights").Group("conv2d").Attribute("weight_names").Read<string[]>().Select(n => n.TrimEnd('\0')),
                Is.EqualTo(new[] { "conv2d/kernel:0", "conv2d/bias:0" }));
        }

        Backend.ClearSession(seed: 77);
        var again = Models.LoadModel(path);
        Assert.That(again, Is.InstanceOf<Sequential>());
        Assert.That(again.Name, Is.EqualTo("sequential"));
        Assert.That(again.Layers.Select(l => l.Name), Is.EqualTo(new[] { "conv2d", "max_pooling2d", "flatten", "dropout", "dense" }));
        Assert.That(again.Predict(x).ToArray<float>(), Is.EqualTo(expected));
    }

    /// <summary>A directory path exports a TF1 SavedModel (serve, serving_default keyed by input layer and output names) that loads without Keras.</summary>
    [Test]
    public void SaveToADirectoryExportsAServableSavedModel()
    {
        var input = Keras.Input(shape: [5], name: "features");
        var hidden = new Dense(6, activation: "relu").Apply(input);
        var dropped = new Dropout(0.5).Apply(hidden);
        var probs = new Dense(3, activation: "softmax", name: "probs").Apply(dropped);
        var score = new Dense(1, name: "score").Apply(hidden);
        var model = new Model([input], [probs, score]);
        model.Compile(optimizer: "adam", loss: "mse");
        var rng = new Random(4);
        var x = Tensor.Create(Enumerable.Range(0, 4 * 5).Select(_ => (float)rng.NextDouble()).ToArray(), 4, 5);
        var expected = model.PredictMany([x]);
        var dir = Path.Combine(_dir, "export", "1");
        model.Save(dir);

        using var bundle = TensorGraph.Serialization.SavedModelBundle.Load(dir);
        var sig = bundle.SignatureDefs["serving_default"];
        Assert.That(sig.MethodName, Is.EqualTo("tensorflow/serving/predict"));
        Assert.That(sig.Inputs.Keys, Is.EqualTo(new[] { "features" }));
        Assert.That(sig.Outputs.Keys, Is.EquivalentTo(new[] { "probs", "score" }));
        var got = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["features"] = x });
        Assert.That(got["probs"].ToArray<float>(), Is.EqualTo(expected[0].ToArray<float>()), "inference: dropout is off by default");
        Assert.That(got["score"].ToArray<float>(), Is.EqualTo(expected[1].ToArray<float>()));
        Assert.Throws<AlreadyExistsException>(() => model.Save(dir), "an export is never overwritten");
    }

    [Test]
    public void LoadsAWholeModelFileInKerasLayout()
    {
        // Data/keras_layout_model.h5: h5py running save_model_to_hdf5's steps with TF 1.15's
        // Sequential config (Dense relu 3→4, Dropout 0.5, Dense softmax 4→2).
        var model = Models.LoadModel(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "keras_layout_model.h5"));
        Assert.That(model.Layers.Select(l => l.GetType().Name), Is.EqualTo(new[] { "Dense", "Dropout", "Dense" }));
        Assert.That(model.Inputs[0].Shape.ToArray(), Is.EqualTo(new[] { -1, 3 }));
        var k1 = Enumerable.Range(0, 12).Select(i => i / 10f - 0.5f).ToArray();
        var b1 = new[] { 0.1f, -0.2f, 0.3f, 0f };
        var k2 = Enumerable.Range(0, 8).Select(i => i / 4f - 1f).ToArray();
        var b2 = new[] { 0.5f, -0.5f };
        var x = new[] { 1f, -1f, 2f };
        var p = model.Predict(Tensor.Create(x, 1, 3)).ToArray<float>();
        var h = Enumerable.Range(0, 4).Select(j => Math.Max(0, b1[j] + x[0] * k1[j] + x[1] * k1[4 + j] + x[2] * k1[8 + j])).ToArray();
        var z = Enumerable.Range(0, 2).Select(o => b2[o] + Enumerable.Range(0, 4).Sum(j => h[j] * k2[j * 2 + o])).ToArray();
        double e0 = Math.Exp(z[0] - z.Max()), e1 = Math.Exp(z[1] - z.Max());
        Assert.That(p[0], Is.EqualTo(e0 / (e0 + e1)).Within(1e-6));
        Assert.That(p[1], Is.EqualTo(e1 / (e0 + e1)).Within(1e-6));
    }
}
