using System.Globalization;
using PureHDF;
using TensorGraph.Keras.Layers;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras.Tests;

/// <summary>
/// .h5 files written by real Keras (tests/fixtures/keras, see tests/fixtures/README.md): they load, and
/// predict what Keras predicted (the source repository's stored predictions), or what an
/// independent forward pass over the weights read straight from the file gives.
/// </summary>
public class KerasWrittenH5Tests
{
    private static string? _root;

    private static string Root
    {
        get
        {
            if (_root is not null) return _root;
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Graph.sln"))) dir = dir.Parent;
            if (dir is null) Assert.Fail("Could not find the repository root (the folder holding Graph.sln)");
            var root = Path.Combine(dir!.FullName, "tests", "fixtures", "keras");
            if (!Directory.Exists(root)) Assert.Fail($"Keras fixtures not found at '{root}' (tests/fixtures/keras, see its README).");
            return _root = root;
        }
    }

    private static string Fixture(string relative)
    {
        var p = Path.Combine(Root, relative);
        if (!File.Exists(p)) Assert.Fail($"Fixture file missing: '{p}'");
        return p;
    }

    /// <summary>One sample a line, numbers separated by spaces (hls4ml's testbench files).</summary>
    private static float[][] ReadDat(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Trim().Length > 0)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())];

    private static void AssertClose(float[] actual, float[] expected, double rel, double abs, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(rel * Math.Abs(expected[i]) + abs), $"{what}[{i}]");
    }

    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 7);

    [TestCase("tanh")]
    [TestCase("sigmoid")]
    [TestCase("softsign")]
    [TestCase("selu")]
    [TestCase("hard_sigmoid")]
    [TestCase("softplus")]
    [TestCase("linear")]
    public void SequentialConv2DPredictsWhatKerasPredicted(string name)
    {
        var model = Models.LoadModel(Fixture($"hls4ml/{name}/{name}.h5"));
        Assert.That(model, Is.InstanceOf<Sequential>());
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "conv2d" }));
        var conv = (Conv2D)model.Layers[0];
        Assert.That((conv.Filters, conv.KernelSize, conv.Padding), Is.EqualTo((1, (3, 3), "VALID")));
        Assert.That(model.Inputs[0].Layer.Name, Is.EqualTo("conv2d_input"));

        var inputs = ReadDat(Fixture($"hls4ml/{name}/tb_input_features.dat"));
        var expected = ReadDat(Fixture($"hls4ml/{name}/tb_output_predictions.dat"));
        Assert.That(inputs, Has.Length.EqualTo(expected.Length));
        var x = Tensor.Create(inputs.SelectMany(r => r).ToArray(), inputs.Length, 5, 5, 1);
        var y = model.Predict(x);
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { inputs.Length, 3, 3, 1 }));
        var got = y.ToArray<float>();
        for (int s = 0; s < inputs.Length; s++)
            AssertClose(got[(s * 9)..((s + 1) * 9)], expected[s], 1e-5, 1e-6, $"{name} sample {s}");
    }

    [Test]
    public void FunctionalConv1DPredictsWhatKerasPredicted()
    {
        var model = Models.LoadModel(Fixture("hls4ml/conv1d_1layer/conv1d_1layer.h5"));
        Assert.That(model, Is.Not.InstanceOf<Sequential>());
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "input_1", "conv1d" }));
        Assert.That(model.Inputs[0].Output.Shape.ToArray(), Is.EqualTo(new[] { -1, 5, 5 }));
        Assert.That(model.OutputNames, Is.EqualTo(new[] { "conv1d" }));

        var inputs = ReadDat(Fixture("hls4ml/conv1d_1layer/tb_input_features.dat"));
        var expected = ReadDat(Fixture("hls4ml/conv1d_1layer/tb_output_predictions.dat"));
        var y = model.Predict(Tensor.Create(inputs.SelectMany(r => r).ToArray(), inputs.Length, 5, 5));
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { inputs.Length, 3, 1 }));
        var got = y.ToArray<float>();
        for (int s = 0; s < inputs.Length; s++)
            AssertClose(got[(s * 3)..((s + 1) * 3)], expected[s], 1e-5, 1e-6, $"sample {s}");
    }

    // ------------------------------------------------------------ MLPerf Tiny ResNet-8 (functional, training_config)

    private const string Resnet = "mlcommons_tiny/pretrainedResnet.h5";

    /// <summary>Deterministic CIFAR-shaped inputs in [0, 1).</summary>
    private static float[] Images(int n)
    {
        var rng = new Random(12345);
        return [.. Enumerable.Range(0, n * 32 * 32 * 3).Select(_ => (float)rng.NextDouble())];
    }

    /// <summary>The forward pass written out from the weights in the file, in double precision.</summary>
    private sealed class ReferenceResnet
    {
        private readonly IH5Group _w;

        public ReferenceResnet(IH5Group modelWeights) => _w = modelWeights;

        private (float[] Data, int[] Dims) W(string layer, string name)
        {
            var ds = _w.Group(layer).Group(layer).Dataset(name);
            return (ds.Read<float[]>(), [.. ds.Space.Dimensions.Select(d => (int)d)]);
        }

        /// <summary>TF's SAME/stride convolution: pad_total = max((ceil(n/s) − 1)·s + k − n, 0), the smaller half before.</summary>
        private double[,,] Conv(double[,,] x, string layer, int stride)
        {
            var (k, kd) = W(layer, "kernel:0");
            var (b, _) = W(layer, "bias:0");
            int h = x.GetLength(0), w = x.GetLength(1), cin = x.GetLength(2), kh = kd[0], kw = kd[1], cout = kd[3];
            Assert.That(kd[2], Is.EqualTo(cin));
            int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
            int padT = Math.Max((oh - 1) * stride + kh - h, 0) / 2, padL = Math.Max((ow - 1) * stride + kw - w, 0) / 2;
            var y = new double[oh, ow, cout];
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int o = 0; o < cout; o++)
                    {
                        double s = b[o];
                        for (int di = 0; di < kh; di++)
                        {
                            int r = i * stride + di - padT;
                            if (r < 0 || r >= h) continue;
                            for (int dj = 0; dj < kw; dj++)
                            {
                                int c = j * stride + dj - padL;
                                if (c < 0 || c >= w) continue;
                                for (int ci = 0; ci < cin; ci++)
                                    s += x[r, c, ci] * k[((di * kw + dj) * cin + ci) * cout + o];
                            }
                        }
                        y[i, j, o] = s;
                    }
            return y;
        }

        /// <summary>Inference batch normalization: γ·(x − mean)/√(var + 0.001) + β.</summary>
        private double[,,] Bn(double[,,] x, string layer)
        {
            var (gamma, _) = W(layer, "gamma:0");
            var (beta, _) = W(layer, "beta:0");
            var (mean, _) = W(layer, "moving_mean:0");
            var (variance, _) = W(layer, "moving_variance:0");
            var y = (double[,,])x.Clone();
            for (int i = 0; i < x.GetLength(0); i++)
                for (int j = 0; j < x.GetLength(1); j++)
                    for (int c = 0; c < x.GetLength(2); c++)
                        y[i, j, c] = gamma[c] * (x[i, j, c] - mean[c]) / Math.Sqrt(variance[c] + 0.001) + beta[c];
            return y;
        }

        private static double[,,] Relu(double[,,] x)
        {
            var y = (double[,,])x.Clone();
            for (int i = 0; i < y.GetLength(0); i++)
                for (int j = 0; j < y.GetLength(1); j++)
                    for (int c = 0; c < y.GetLength(2); c++)
                        y[i, j, c] = Math.Max(0, y[i, j, c]);
            return y;
        }

        private static double[,,] Sum(double[,,] a, double[,,] b)
        {
            var y = (double[,,])a.Clone();
            for (int i = 0; i < y.GetLength(0); i++)
                for (int j = 0; j < y.GetLength(1); j++)
                    for (int c = 0; c < y.GetLength(2); c++)
                        y[i, j, c] += b[i, j, c];
            return y;
        }

        public double[] Forward(float[] image)
        {
            var x = new double[32, 32, 3];
            for (int i = 0; i < 32; i++)
                for (int j = 0; j < 32; j++)
                    for (int c = 0; c < 3; c++)
                        x[i, j, c] = image[(i * 32 + j) * 3 + c];
            var a = Relu(Bn(Conv(x, "conv2d", 1), "batch_normalization"));
            var b = Relu(Bn(Conv(a, "conv2d_1", 1), "batch_normalization_1"));
            b = Bn(Conv(b, "conv2d_2", 1), "batch_normalization_2");
            var c1 = Relu(Sum(a, b));
            var d = Relu(Bn(Conv(c1, "conv2d_3", 2), "batch_normalization_3"));
            d = Bn(Conv(d, "conv2d_4", 1), "batch_normalization_4");
            var e = Relu(Sum(Conv(c1, "conv2d_5", 2), d));
            var f = Relu(Bn(Conv(e, "conv2d_6", 2), "batch_normalization_5"));
            f = Bn(Conv(f, "conv2d_7", 1), "batch_normalization_6");
            var g = Relu(Sum(Conv(e, "conv2d_8", 2), f));
            Assert.That((g.GetLength(0), g.GetLength(1), g.GetLength(2)), Is.EqualTo((8, 8, 64)));
            // AveragePooling2D(8) over the 8x8 map, Flatten, Dense(10) with softmax.
            var pooled = new double[64];
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++)
                    for (int c = 0; c < 64; c++)
                        pooled[c] += g[i, j, c] / 64;
            var (k, _) = W("dense", "kernel:0");
            var (bias, _) = W("dense", "bias:0");
            var logits = new double[10];
            for (int o = 0; o < 10; o++)
            {
                logits[o] = bias[o];
                for (int c = 0; c < 64; c++) logits[o] += pooled[c] * k[c * 10 + o];
            }
            double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
            return [.. logits.Select(l => Math.Exp(l - max) / z)];
        }
    }

    [Test]
    public void FunctionalResnetLoadsItsGraphAndPredictsTheForwardPassOfItsWeights()
    {
        var path = Fixture(Resnet);
        var model = Models.LoadModel(path, compile: false);
        Assert.That(model, Is.Not.InstanceOf<Sequential>());
        Assert.That(model.Name, Is.EqualTo("model"));
        Assert.That(model.Layers, Has.Count.EqualTo(30));
        Assert.That(model.Layers.OfType<Add>().Select(l => l.Name), Is.EqualTo(new[] { "add", "add_1", "add_2" }));
        Assert.That(model.Layers.OfType<BatchNormalization>().Count(), Is.EqualTo(7));
        Assert.That(model.Inputs[0].Output.Shape.ToArray(), Is.EqualTo(new[] { -1, 32, 32, 3 }));
        Assert.That(model.OutputNames, Is.EqualTo(new[] { "dense" }));
        Assert.That(model.Optimizer, Is.Null, "compile: false leaves the model uncompiled");
        // 78,666 parameters, as the published model's summary (Conv2D 3·3·3·16+16 ... Dense 64·10+10).
        Assert.That(model.CountParams(), Is.EqualTo(78666));

        const int n = 3;
        var images = Images(n);
        var y = model.Predict(Tensor.Create(images, n, 32, 32, 3)).ToArray<float>();
        using var file = H5File.OpenRead(path);
        // model.layers in Keras's order: the order Keras wrote them in model_config and layer_names.
        var config = System.Text.Json.Nodes.JsonNode.Parse(file.Attribute("model_config").Read<string>())!;
        var written = config["config"]!["layers"]!.AsArray().Select(l => (string)l!["name"]!).ToArray();
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(written));
        Assert.That(file.Group("model_weights").Attribute("layer_names").Read<string[]>(), Is.EqualTo(written));
        var reference = new ReferenceResnet(file.Group("model_weights"));
        for (int s = 0; s < n; s++)
        {
            var want = reference.Forward(images[(s * 3072)..((s + 1) * 3072)]);
            var got = y[(s * 10)..((s + 1) * 10)];
            for (int o = 0; o < 10; o++)
                Assert.That(got[o], Is.EqualTo(want[o]).Within(1e-4 * want[o] + 1e-6), $"sample {s} class {o}");
        }
    }

    [Test]
    public void AFunctionalModelSavesAsKerasWritesItAndLoadsBackWithTheSamePredictions()
    {
        var model = Models.LoadModel(Fixture(Resnet), compile: false);
        var dir = Path.Combine(Path.GetTempPath(), "tg-keras-func-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "resnet.h5");
            model.Save(path);
            using (var file = H5File.OpenRead(path))
            {
                var config = System.Text.Json.Nodes.JsonNode.Parse(file.Attribute("model_config").Read<string>())!;
                Assert.That((string?)config["class_name"], Is.EqualTo("Model"));
                var layers = config["config"]!["layers"]!.AsArray();
                var add1 = layers.Single(l => (string?)l!["name"] == "add_1")!;
                Assert.That(add1["inbound_nodes"]!.ToJsonString(), Is.EqualTo("""[[["conv2d_5",0,0,{}],["batch_normalization_4",0,0,{}]]]"""));
                Assert.That(config["config"]!["input_layers"]!.ToJsonString(), Is.EqualTo("""[["input_1",0,0]]"""));
                Assert.That(config["config"]!["output_layers"]!.ToJsonString(), Is.EqualTo("""[["dense",0,0]]"""));
                // 30 names padded to the config's length pass the 64512-byte header limit: Keras's chunks.
                var weights = file.Group("model_weights");
                Assert.That(weights.AttributeExists("layer_names"), Is.False);
                Assert.That(weights.AttributeExists("layer_names0") && weights.AttributeExists("layer_names1"), Is.True);
            }
            var x = Tensor.Create(Images(2), 2, 32, 32, 3);
            var before = model.Predict(x).ToArray<float>();
            Backend.ClearSession();
            var again = Models.LoadModel(path);
            Assert.That(again.Layers.Select(l => l.Name), Is.EqualTo(model.Layers.Select(l => l.Name)));
            Assert.That(((Conv2D)again.GetLayer("conv2d_7")).KernelRegularizer, Is.InstanceOf<L1L2>());
            Assert.That(again.Predict(x).ToArray<float>(), Is.EqualTo(before));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void TrainingConfigCompilesWithTheSavedAdamAndItsStateAndFitsOneStep()
    {
        var model = Models.LoadModel(Fixture(Resnet));
        var adam = model.Optimizer as Adam;
        Assert.That(adam, Is.Not.Null, "optimizer_config class_name Adam");
        Assert.That(adam!.LearningRate, Is.EqualTo(6.636851594521431e-06).Within(1e-18));
        Assert.That(adam.Beta1, Is.EqualTo(0.8999999761581421));
        Assert.That(adam.Beta2, Is.EqualTo(0.9990000128746033));
        Assert.That(adam.Epsilon, Is.EqualTo(1e-7));

        const int n = 4;
        var x = Tensor.Create(Images(n), n, 32, 32, 3);
        var labels = new float[n * 10];
        for (int s = 0; s < n; s++) labels[s * 10 + s * 3 % 10] = 1;
        var y = Tensor.Create(labels, n, 10);

        // optimizer_weights: iter and every m/v slot come back from the file.
        using var file = H5File.OpenRead(Fixture(Resnet));
        var saved = file.Group("optimizer_weights");
        long savedIter = saved.Dataset("Adam/iter:0").Read<long[]>()[0];
        Assert.That(savedIter, Is.EqualTo(781500));
        var kernel = model.GetLayer("dense").Weights[0];
        var (iter, m0, v0, w0) = Read(model, adam, kernel);
        Assert.That(iter, Is.EqualTo(savedIter));
        Assert.That(m0, Is.EqualTo(saved.Dataset("Adam/dense/kernel/m:0").Read<float[]>()));
        Assert.That(v0, Is.EqualTo(saved.Dataset("Adam/dense/kernel/v:0").Read<float[]>()));
        Assert.That(model.Session.Run([adam.GetSlot(model.GetLayer("batch_normalization_6").Weights[0], "v").Value], null)[0]!.ToArray<float>(),
            Is.EqualTo(saved.Dataset("Adam/batch_normalization_6/gamma/v:0").Read<float[]>()));

        var history = model.Fit(x, y, batchSize: n, epochs: 1, verbose: 0);
        Assert.That(model.MetricsNames, Is.EqualTo(new[] { "loss", "accuracy" }));
        double loss = history["loss"][0];
        Assert.That(double.IsFinite(loss) && loss > 0, Is.True, $"loss {loss}");
        Assert.That(history["accuracy"][0], Is.InRange(0.0, 1.0));

        // One Adam step from the restored state with the saved hyperparameters: t = iter + 1,
        // the gradient g = (m₁ − β1·m₀)/(1 − β1) must also give v₁ = β2·v₀ + (1 − β2)·g², and
        // w₁ = w₀ − lr·√(1 − β2ᵗ)/(1 − β1ᵗ)·m₁/(√v₁ + ε).
        var (iter1, m1, v1, w1) = Read(model, adam, kernel);
        Assert.That(iter1, Is.EqualTo(savedIter + 1));
        double b1 = adam.Beta1, b2 = adam.Beta2, t = savedIter + 1;
        double lrT = adam.LearningRate * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
        int moved = 0;
        for (int i = 0; i < w0.Length; i++)
        {
            double g = (m1[i] - b1 * m0[i]) / (1 - b1);
            double vWant = b2 * v0[i] + (1 - b2) * g * g;
            Assert.That(v1[i], Is.EqualTo(vWant).Within(1e-4 * vWant + 1e-6 * v0[i] + 1e-20), $"v[{i}]");
            double step = lrT * m1[i] / (Math.Sqrt(v1[i]) + adam.Epsilon);
            float ulp = MathF.BitIncrement(Math.Abs(w0[i])) - Math.Abs(w0[i]);
            Assert.That(w1[i], Is.EqualTo(w0[i] - step).Within(2 * ulp + 1e-3 * Math.Abs(step)), $"w[{i}]");
            if (w1[i] != w0[i]) moved++;
        }
        Assert.That(moved, Is.GreaterThan(w0.Length / 2), "the step moved the dense kernel");
    }

    private static (long Iter, float[] M, float[] V, float[] W) Read(Model model, Adam adam, Variable w)
    {
        var r = model.Session.Run([adam.Iterations!.Value, adam.GetSlot(w, "m").Value, adam.GetSlot(w, "v").Value, w.Value], null);
        return (r[0]!.ToArray<long>()[0], r[1]!.ToArray<float>(), r[2]!.ToArray<float>(), r[3]!.ToArray<float>());
    }

    [Test]
    public void EvaluateIsTheCrossEntropyOfTheForwardPassPlusTheSavedL2Penalties()
    {
        var path = Fixture(Resnet);
        var model = Models.LoadModel(path);
        // kernel_regularizer L2(1e-4) on the nine Conv2D layers, none elsewhere.
        Assert.That(model.Layers.Where(l => l.Losses.Count > 0).Select(l => l.Name), Is.EquivalentTo(Enumerable.Range(0, 9).Select(i => i == 0 ? "conv2d" : $"conv2d_{i}")));
        Assert.That(((Conv2D)model.GetLayer("conv2d_4")).KernelRegularizer, Is.InstanceOf<L1L2>().With.Property("L2").EqualTo(9.999999747378752e-05).And.Property("L1").EqualTo(0));

        const int n = 4;
        var images = Images(n);
        var labels = new float[n * 10];
        for (int s = 0; s < n; s++) labels[s * 10 + (s * 7 + 1) % 10] = 1;
        var result = model.Evaluate(Tensor.Create(images, n, 32, 32, 3), Tensor.Create(labels, n, 10), batchSize: n, verbose: 0);

        using var file = H5File.OpenRead(path);
        var weights = file.Group("model_weights");
        var reference = new ReferenceResnet(weights);
        double ce = 0, correct = 0;
        for (int s = 0; s < n; s++)
        {
            var p = reference.Forward(images[(s * 3072)..((s + 1) * 3072)]);
            int label = (s * 7 + 1) % 10;
            ce -= Math.Log(Math.Clamp(p[label], 1e-7, 1 - 1e-7)) / n;
            if (Array.IndexOf(p, p.Max()) == label) correct++;
        }
        double penalty = 0;
        for (int i = 0; i < 9; i++)
        {
            var name = i == 0 ? "conv2d" : $"conv2d_{i}";
            penalty += 9.999999747378752e-05 * weights.Group(name).Group(name).Dataset("kernel:0").Read<float[]>().Sum(w => (double)w * w);
        }
        Assert.That(penalty, Is.GreaterThan(1e-3), "the penalty is large enough to be seen");
        Assert.That(result[0], Is.EqualTo(ce + penalty).Within(1e-4 * (ce + penalty)));
        Assert.That(result[1], Is.EqualTo(correct / n));
    }

    [Test]
    public void TrainingConfigIsReadFromTheFileAsKerasWroteIt()
    {
        // The file's own training_config, read with PureHDF: what the compiled model must match.
        using var file = H5File.OpenRead(Fixture(Resnet));
        var tc = System.Text.Json.Nodes.JsonNode.Parse(file.Attribute("training_config").Read<string>())!;
        Assert.That((string?)tc["loss"], Is.EqualTo("categorical_crossentropy"));
        Assert.That((string?)tc["optimizer_config"]!["class_name"], Is.EqualTo("Adam"));
        Assert.That((string?)tc["metrics"]![0]![0]!["config"]!["fn"], Is.EqualTo("categorical_accuracy"));
        Assert.That((string?)file.Attribute("keras_version").Read<string>(), Is.EqualTo("2.4.0"));
    }

    // ------------------------------------------------------------ what cannot be loaded

    [Test]
    public void AnUnknownLayerClassIsATypedErrorNamingTheLayerAndTheFile()
    {
        var path = Fixture("hls4ml/relu/relu.h5");
        var e = Assert.Throws<NotSupportedException>(() => Models.LoadModel(path));
        Assert.That(e!.Message, Does.Contain("re_lu").And.Contain("ReLU").And.Contain(path));
    }

    [Test]
    public void AModelSavedBeforeItWasBuiltLoadsUnbuiltAndBuildsOnItsFirstData()
    {
        var model = Models.LoadModel(Fixture("keras.net/model.h5"));
        Assert.That(model, Is.InstanceOf<Sequential>());
        Assert.That(model.Built, Is.False);
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "flatten", "dense", "dropout", "dense_1" }));

        var x = Tensor.Create(Enumerable.Range(0, 12).Select(i => (i - 5) / 4f).ToArray(), 2, 2, 3);
        var y = model.Predict(x).ToArray<float>();
        Assert.That(model.Built, Is.True);
        // softmax(relu(flatten(x)·W1 + b1)·W2 + b2), dropout inactive at inference.
        var w = model.GetWeights().Select(t => t.ToArray<float>()).ToArray();
        var xs = x.ToArray<float>();
        for (int s = 0; s < 2; s++)
        {
            var h = new double[128];
            for (int j = 0; j < 128; j++)
            {
                h[j] = w[1][j];
                for (int i = 0; i < 6; i++) h[j] += xs[s * 6 + i] * w[0][i * 128 + j];
                h[j] = Math.Max(0, h[j]);
            }
            var logits = new double[5];
            for (int o = 0; o < 5; o++)
            {
                logits[o] = w[3][o];
                for (int j = 0; j < 128; j++) logits[o] += h[j] * w[2][j * 5 + o];
            }
            double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
            for (int o = 0; o < 5; o++) Assert.That(y[s * 5 + o], Is.EqualTo(Math.Exp(logits[o] - max) / z).Within(1e-5));
        }
    }

    // ------------------------------------------------------------ model_from_json + Keras-written weight files

    [Test]
    public void SequentialDenseFromJsonWithKerasWeightsPredictsWhatKerasPredicted()
    {
        var model = Models.ModelFromJson(File.ReadAllText(Fixture("hls4ml/KERAS_mnist_mlp/KERAS_mnist_mlp.json")));
        Assert.That(model, Is.InstanceOf<Sequential>());
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "dense_1", "dropout_1", "dense_2", "dropout_2", "dense_3" }));
        Assert.That(model.Inputs[0].Output.Shape.ToArray(), Is.EqualTo(new[] { -1, 784 }));
        model.LoadWeights(Fixture("hls4ml/KERAS_mnist_mlp/KERAS_mnist_mlp_weights.h5"));

        var inputs = ReadDat(Fixture("hls4ml/KERAS_mnist_mlp/KERAS_mnist_mlp_inputs.dat"));
        var expected = ReadDat(Fixture("hls4ml/KERAS_mnist_mlp/KERAS_mnist_mlp_outputs.dat"));
        Assert.That((inputs.Length, expected.Length), Is.EqualTo((3, 3)));
        var y = model.Predict(Tensor.Create(inputs.SelectMany(r => r).ToArray(), 3, 784)).ToArray<float>();
        for (int s = 0; s < 3; s++)
        {
            var got = y[(s * 10)..((s + 1) * 10)];
            // Probabilities down to 1e-28: float32 logits carry ~1e-5 relative error into the tiny ones.
            AssertClose(got, expected[s], 1e-4, 1e-30, $"digit {s}");
            int top = Array.IndexOf(expected[s], expected[s].Max());
            Assert.That(got[top], Is.EqualTo(expected[s][top]).Within(1e-6), $"digit {s} top class");
        }
    }

    [Test]
    public void FunctionalKeras2_0JsonWithKerasWeightsMatchesTheDenseStackOfItsWeights()
    {
        var model = Models.ModelFromJson(File.ReadAllText(Fixture("hls4ml/KERAS_3layer/KERAS_3layer.json")));
        Assert.That(model, Is.Not.InstanceOf<Sequential>());
        Assert.That(model.Layers.Select(l => l.Name), Is.EqualTo(new[] { "input_1", "fc1_relu", "fc2_relu", "fc3_relu", "output_softmax" }));
        var path = Fixture("hls4ml/KERAS_3layer/KERAS_3layer_weights.h5");
        model.LoadWeights(path);

        var rng = new Random(3);
        const int n = 4;
        var x = Enumerable.Range(0, n * 16).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var y = model.Predict(Tensor.Create(x, n, 16)).ToArray<float>();

        using var file = H5File.OpenRead(path);
        (float[] K, float[] B, int In, int Out) Layer(string name)
        {
            var g = file.Group(name).Group(name);
            var k = g.Dataset("kernel:0");
            return (k.Read<float[]>(), g.Dataset("bias:0").Read<float[]>(), (int)k.Space.Dimensions[0], (int)k.Space.Dimensions[1]);
        }
        var stack = new[] { "fc1_relu", "fc2_relu", "fc3_relu", "output_softmax" }.Select(Layer).ToArray();
        for (int s = 0; s < n; s++)
        {
            double[] h = [.. x[(s * 16)..((s + 1) * 16)].Select(v => (double)v)];
            for (int l = 0; l < stack.Length; l++)
            {
                var (k, b, nin, nout) = stack[l];
                var next = new double[nout];
                for (int o = 0; o < nout; o++)
                {
                    next[o] = b[o];
                    for (int i = 0; i < nin; i++) next[o] += h[i] * k[i * nout + o];
                    if (l < stack.Length - 1) next[o] = Math.Max(0, next[o]);
                }
                h = next;
            }
            double max = h.Max(), z = h.Sum(v => Math.Exp(v - max));
            for (int o = 0; o < 5; o++) Assert.That(y[s * 5 + o], Is.EqualTo(Math.Exp(h[o] - max) / z).Within(1e-5 * Math.Exp(h[o] - max) / z + 1e-7), $"sample {s} class {o}");
        }
    }

    [Test]
    public void ASequentialConfigWithBuildInputShapeComesBackBuilt()
    {
        // tf.keras 2.x's Sequential.get_config() after model.build((None, 3)): no batch_input_shape on the layers.
        var model = Models.ModelFromJson("""{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}], "build_input_shape": [null, 3]}}""");
        Assert.That(model.Built, Is.True);
        Assert.That(model.Inputs[0].Output.Shape.ToArray(), Is.EqualTo(new[] { -1, 3 }));
        Assert.That(model.Outputs[0].Shape.ToArray(), Is.EqualTo(new[] { -1, 2 }));
    }

    [Test]
    public void MalformedOrKeras1ConfigsAreTypedErrorsNamingTheLayer()
    {
        const string noUnits = """{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d7", "batch_input_shape": [null, 3]}}]}}""";
        var e = Assert.Throws<InvalidDataException>(() => Models.ModelFromJson(noUnits));
        Assert.That(e!.Message, Does.Contain("d7").And.Contain("units"));
        Assert.Throws<InvalidDataException>(() => Models.ModelFromJson(noUnits.Replace("\"name\": \"d7\"", "\"name\": \"d7\", \"units\": -2")));
        Assert.Throws<InvalidDataException>(() => Models.ModelFromJson("{not json"));
        var keras1 = """{"class_name": "Sequential", "keras_version": "1.2.2", "config": [{"class_name": "Dense", "config": {"name": "d", "output_dim": 2}}]}""";
        Assert.That(Assert.Throws<NotSupportedException>(() => Models.ModelFromJson(keras1))!.Message, Does.Contain("Keras 1.2.2"));
        const string functional = """
            {"class_name": "Model", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "name": "a", "config": {"name": "a", "batch_input_shape": [null, 2]}, "inbound_nodes": []},
              {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 1}, "inbound_nodes": [[["nowhere", 0, 0, {}]]]}],
              "input_layers": [["a", 0, 0]], "output_layers": [["d", 0, 0]]}}
            """;
        Assert.That(Assert.Throws<InvalidDataException>(() => Models.ModelFromJson(functional))!.Message, Does.Contain("nowhere"));
    }

    [Test]
    public void AMissingFileIsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => Models.LoadModel(Path.Combine(Root, "no-such-model.h5")));
    }
}
