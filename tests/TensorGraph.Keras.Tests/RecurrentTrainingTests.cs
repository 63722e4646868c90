using System.Text.Json.Nodes;
using PureHDF;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras.Tests;

public class RecurrentTrainingTests
{
    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 3);

    private static double[] RandD(int n, int seed, double scale = 1)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (r.NextDouble() * 2 - 1) * scale)];
    }

    /// <summary>
    /// d(sum(y · R))/d(inputs and weights) from the graph's symbolic gradient (through the while
    /// loop) against central differences of the same graph, in float64.
    /// </summary>
    [TestCase("lstm")]
    [TestCase("gru")]
    [TestCase("gru_reset_after")]
    [TestCase("bidirectional")]
    public void GradientThroughTheLoopMatchesFiniteDifferences(string kind)
    {
        const int b = 2, t = 4, f = 3, u = 3;
        var input = Keras.Input([t, f], dtype: DType.Float64);
        Layer layer = kind switch
        {
            "lstm" => new LSTM(u, recurrentActivation: "sigmoid", returnSequences: true),
            "gru" => new GRU(u, recurrentActivation: "sigmoid", returnSequences: true),
            "gru_reset_after" => new GRU(u, recurrentActivation: "sigmoid", resetAfter: true, implementation: 2),
            _ => new Bidirectional(new LSTM(u, recurrentActivation: "sigmoid", implementation: 2, returnSequences: true), mergeMode: "mul"),
        };
        var y = layer.Apply(input);
        var model = new Model(input, y);
        var g = model.Graph;
        Assert.That(model.Weights.All(w => w.DType == DType.Float64), Is.True, "weights take the input's float type");
        // Weights away from zero, so that every path carries gradient.
        model.SetWeights([.. model.Weights.Select((w, i) => Tensor.Create(RandD((int)w.Shape.NumElements, 40 + i, 0.8), w.Shape.ToArray()))]);
        int[] yDims = [b, .. y.Shape.ToArray()[1..]];
        int ySize = yDims.Aggregate(1, (p, d) => p * d);
        var weights = g.Constant(Tensor.Create(RandD(ySize, 99), yDims));
        var loss = g.ReduceSum(g.Multiply(y.Output, weights));
        Output[] wrt = [input.Output, .. model.Weights.Select(w => w.Value)];
        var grads = g.Gradients([loss], wrt);
        Assert.That(grads.All(gr => gr is not null), Is.True);

        var sess = model.Session;
        var x = Tensor.Create(RandD(b * t * f, 7), b, t, f);
        var values = new Tensor[wrt.Length];
        values[0] = x;
        var current = model.GetWeights();
        for (int i = 1; i < wrt.Length; i++) values[i] = current[i - 1];
        FeedDict Feeds(Tensor[] vs)
        {
            var fd = new FeedDict();
            for (int i = 0; i < wrt.Length; i++) fd.Add(wrt[i], vs[i]);
            return fd;
        }
        var analytic = sess.Run([.. grads.Select(gr => gr!.Value)], Feeds(values));
        const double eps = 1e-6;
        for (int p = 0; p < wrt.Length; p++)
        {
            var baseVals = values[p].ToArray<double>();
            var an = analytic[p].ToArray<double>();
            Assert.That(an.Length, Is.EqualTo(baseVals.Length), wrt[p].Name);
            for (int k = 0; k < baseVals.Length; k++)
            {
                double Eval(double delta)
                {
                    var v = (double[])baseVals.Clone();
                    v[k] += delta;
                    var vs = (Tensor[])values.Clone();
                    vs[p] = Tensor.Create(v, values[p].Dims.ToArray());
                    return sess.Run(loss, Feeds(vs)).Scalar<double>();
                }
                double numeric = (Eval(eps) - Eval(-eps)) / (2 * eps);
                Assert.That(an[k], Is.EqualTo(numeric).Within(1e-6 + 1e-5 * Math.Abs(numeric)), $"d loss / d {wrt[p].Name}[{k}]");
            }
        }
    }

    /// <summary>
    /// A sequence task an LSTM learns in a few epochs: is the sum of eight numbers in [−1, 1]
    /// positive? Adam and binary cross-entropy through fit; the loss must fall well below chance.
    /// </summary>
    [Test]
    public void LstmLearnsTheSignOfASum()
    {
        const int n = 320, t = 8;
        var rnd = new Random(5);
        var x = new float[n * t];
        var yv = new float[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int k = 0; k < t; k++) s += x[i * t + k] = (float)(rnd.NextDouble() * 2 - 1);
            yv[i] = s > 0 ? 1 : 0;
        }
        var model = new Sequential(new LSTM(8, inputShape: [t, 1]), new Dense(1, activation: "sigmoid"));
        model.Compile(optimizer: new Optimizers.Adam(learningRate: 0.01), loss: "binary_crossentropy", metrics: ["accuracy"]);
        model.Random = new Random(1);
        var h = model.Fit(Tensor.Create(x, n, t, 1), Tensor.Create(yv, n), batchSize: 32, epochs: 15, verbose: 0);
        var loss = h["loss"];
        TestContext.Out.WriteLine("loss: " + string.Join(" ", loss.Select(v => v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.That(loss[0], Is.GreaterThan(0.5), "starts near chance (ln 2 = 0.69)");
        Assert.That(loss[^1], Is.LessThan(0.15));
        Assert.That(h["accuracy"][^1], Is.GreaterThan(0.93));
    }

    /// <summary>Save as .h5 and load: the same layer configs, bit-identical weights, the same predictions, Keras's weight names in the file.</summary>
    [Test]
    public void RecurrentModelsRoundTripThroughH5()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-keras-rnn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var a = new Sequential(new Embedding(20, 4, inputLength: 6), new SimpleRNN(5, returnSequences: true, goBackwards: true), new LSTM(3, implementation: 2),
                new Dense(2, activation: "softmax"));
            var b = new Sequential(new Bidirectional(new GRU(3, resetAfter: true, returnSequences: true), mergeMode: "ave", inputShape: [6, 2]),
                new Bidirectional(new LSTM(2, unitForgetBias: false)), new Dense(1));
            var xa = Tensor.Create(Enumerable.Range(0, 18).Select(i => (float)(i * 7 % 20)).ToArray(), 3, 6);
            var xb = Tensor.Create(RandD(36, 2).Select(v => (float)v).ToArray(), 3, 6, 2);
            foreach (var (model, x, file) in new[] { (a, xa, "a.h5"), (b, xb, "b.h5") })
            {
                var path = Path.Combine(dir, file);
                var before = model.Predict(x).ToArray<float>();
                var weights = model.GetWeights();
                model.Save(path);
                using (var h5 = H5File.OpenRead(path))
                {
                    var names = model.Layers.Where(l => l.Weights.Count > 0)
                        .SelectMany(l => h5.Group("model_weights").Group(l.Name).Attribute("weight_names").Read<string[]>().Select(s => s.TrimEnd('\0'))).ToArray();
                    Assert.That(names, Is.EqualTo(model.Weights.Select(w => w.Name + ":0").ToArray()));
                    var cfg = JsonNode.Parse(h5.Attribute("model_config").Read<string>().TrimEnd('\0'))!;
                    var layers = cfg["config"]!["layers"]!.AsArray();
                    Assert.That(layers.Select(l => (string)l!["class_name"]!), Is.EqualTo(model.Layers.Select(l => l.GetType().Name)));
                }
                var again = Models.LoadModel(path);
                Assert.That(again.Layers.Select(l => l.Name), Is.EqualTo(model.Layers.Select(l => l.Name)));
                var loaded = again.GetWeights();
                for (int i = 0; i < weights.Length; i++)
                    Assert.That(loaded[i].ToArray<float>(), Is.EqualTo(weights[i].ToArray<float>()), again.Weights[i].Name);
                Assert.That(again.Predict(x).ToArray<float>(), Is.EqualTo(before));
            }
            var reloaded = Models.LoadModel(Path.Combine(dir, "a.h5"));
            var rnn = (SimpleRNN)reloaded.Layers[1];
            Assert.That((rnn.Units, rnn.ReturnSequences, rnn.GoBackwards), Is.EqualTo((5, true, true)));
            Assert.That(((LSTM)reloaded.Layers[2]).Implementation, Is.EqualTo(2));
            var bi = (Bidirectional)Models.LoadModel(Path.Combine(dir, "b.h5")).Layers[0];
            Assert.That((bi.MergeMode, ((GRU)bi.Layer).ResetAfter, bi.ForwardLayer.Name), Is.EqualTo(("ave", true, "forward_gru")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
