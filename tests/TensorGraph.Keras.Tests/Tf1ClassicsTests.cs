using TensorGraph.Data;
using TensorGraph.Examples.Classics;
using TensorGraph.Serialization;

namespace TensorGraph.Keras.Tests;

/// <summary>
/// examples/Tf1Classics in their short versions on the real MNIST (and Moby-Dick for word2vec):
/// each result is checked against an independent computation or against what the algorithm
/// guarantees, and each learns its task.
/// </summary>
[Category("Network")]
[CancelAfter(300_000)]
public class Tf1ClassicsTests
{
    private static Datasets? s_mnist;
    private string _dir = "";

    private static Datasets Mnist => s_mnist ??= TensorGraph.Data.Mnist.ReadDataSets(null, oneHot: true, seed: 3);

    private ClassicOptions Options => new() { Short = true, Seed = 1, Mnist = Mnist, OutputDir = _dir };

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "tg-classics-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void EveryClassicIsListedOnceAndRunsByName()
    {
        var names = ClassicsCatalog.All.Select(c => c.Name).ToArray();
        Assert.That(names, Is.Unique);
        Assert.That(names.Length, Is.GreaterThanOrEqualTo(8));
        Assert.That(ClassicsCatalog.Get("kmeans").Name, Is.EqualTo("kmeans"));
        Assert.Throws<ArgumentException>(() => ClassicsCatalog.Get("no_such_program"));
    }

    [Test]
    public void LinearRegressionReachesTheLeastSquaresFit()
    {
        var r = LinearRegression.Run(Options, TextWriter.Null);
        // The closed-form least-squares line of the 17 points and its cost sum((W x + b - y)^2) / (2 n).
        double[] x = LinearRegression.TrainX.Select(v => (double)v).ToArray(), y = LinearRegression.TrainY.Select(v => (double)v).ToArray();
        double mx = x.Average(), my = y.Average();
        double w = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my)) / x.Sum(v => (v - mx) * (v - mx));
        double b = my - w * mx;
        double Cost(double[] xs, double[] ys, double ww, double bb) => xs.Zip(ys).Sum(p => Math.Pow(ww * p.First + bb - p.Second, 2)) / (2 * xs.Length);
        Assert.That(r["W"], Is.EqualTo(w).Within(0.03));
        Assert.That(r["b"], Is.EqualTo(b).Within(0.2));
        Assert.That(r["training_cost"], Is.EqualTo(Cost(x, y, w, b)).Within(Cost(x, y, w, b) * 0.02));
        double[] tx = LinearRegression.TestX.Select(v => (double)v).ToArray(), ty = LinearRegression.TestY.Select(v => (double)v).ToArray();
        Assert.That(r["testing_cost"], Is.EqualTo(Cost(tx, ty, r["W"], r["b"])).Within(1e-5));
    }

    [Test]
    public void LogisticRegressionLearnsMnist()
    {
        var log = new StringWriter();
        var r = LogisticRegression.Run(Options, log);
        Assert.That(r["accuracy"], Is.GreaterThan(0.85), log.ToString());
        Assert.That(r["avg_cost"], Is.LessThan(0.8));
        Assert.That(log.ToString(), Does.Contain("Epoch: 0002 cost= ").And.Contain("Optimization Finished!"));
    }

    [Test]
    public void NearestNeighborFindsTheL1NearestTrainingImage()
    {
        var r = NearestNeighbor.Run(Options, TextWriter.Null, out var d);
        var xtr = d.Xtr.ToArray<float>();
        var xte = d.Xte.ToArray<float>();
        var ytr = d.Ytr.ToArray<float>();
        var yte = d.Yte.ToArray<float>();
        int n = d.Xte.Dims[0], m = d.Xtr.Dims[0];
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            var dist = new double[m];
            for (int j = 0; j < m; j++)
                for (int k = 0; k < 784; k++)
                    dist[j] += Math.Abs(xtr[j * 784 + k] - xte[i * 784 + k]);
            double best = dist.Min();
            Assert.That(dist[d.Neighbours[i]], Is.EqualTo(best).Within(1e-3), $"test image {i}");
            int nn = (int)d.Neighbours[i];
            if (Array.IndexOf(ytr, 1f, nn * 10, 10) - nn * 10 == Array.IndexOf(yte, 1f, i * 10, 10) - i * 10) correct++;
        }
        Assert.That(r["accuracy"], Is.EqualTo((double)correct / n).Within(1e-9));
        Assert.That(r["accuracy"], Is.GreaterThan(0.8));
    }

    [Test]
    public void KMeansLloydStepsNeverIncreaseTheDistanceAndLabelDigits()
    {
        var r = KMeans.Run(Options, TextWriter.Null);
        var distances = Enumerable.Range(1, 10).Select(i => r[$"distance_step_{i}"]).ToArray();
        for (int i = 1; i < distances.Length; i++)
            Assert.That(distances[i], Is.LessThanOrEqualTo(distances[i - 1] + 1e-5), $"step {i + 1}");
        Assert.That(distances[^1], Is.LessThan(distances[0]));
        Assert.That(r["accuracy"], Is.GreaterThan(0.6));
    }

    [Test]
    public void NeuralNetworkRawLearnsMnist()
    {
        var r = NeuralNetworkRaw.Run(Options, TextWriter.Null);
        Assert.That(r["accuracy"], Is.GreaterThan(0.75));
    }

    [Test]
    public void NeuralNetworkEstimatorEvaluatesWhatItsCheckpointComputes()
    {
        var r = NeuralNetwork.Run(Options, TextWriter.Null);
        Assert.That(r["global_step"], Is.EqualTo(150));
        // tf.layers' names under no scope: dense, dense_1, dense_2 (kernel and bias each), and the global step.
        var dir = Path.Combine(_dir, "neural_network");
        using var ckpt = new CheckpointReader(TensorGraph.Training.Saver.LatestCheckpoint(dir)!);
        Assert.That(ckpt.TensorNames.OrderBy(n => n, StringComparer.Ordinal), Is.EqualTo(new[]
        {
            "dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel", "dense_2/bias", "dense_2/kernel", "global_step",
        }));
        Assert.That(ckpt.GetTensor("global_step").Scalar<long>(), Is.EqualTo(150));
        // The network has no activations, so it is one affine map: compose it on the host and count the
        // test images whose arg max matches the label; that is the accuracy Evaluate must report.
        double[,] w = Matrix(ckpt.GetTensor("dense/kernel"));
        double[] b = ckpt.GetTensor("dense/bias").ToArray<float>().Select(v => (double)v).ToArray();
        foreach (var layer in new[] { "dense_1", "dense_2" })
        {
            var wl = Matrix(ckpt.GetTensor(layer + "/kernel"));
            var bl = ckpt.GetTensor(layer + "/bias").ToArray<float>();
            w = MatMul(w, wl);
            var nb = new double[bl.Length];
            for (int j = 0; j < bl.Length; j++)
            {
                nb[j] = bl[j];
                for (int k = 0; k < b.Length; k++) nb[j] += b[k] * wl[k, j];
            }
            b = nb;
        }
        var images = Mnist.Test.Images.ToArray<float>();
        var ids = Mnist.Test.ClassIds;
        int correct = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int best = 0;
            double bestLogit = double.NegativeInfinity;
            for (int c = 0; c < 10; c++)
            {
                double z = b[c];
                for (int k = 0; k < 784; k++) z += images[i * 784 + k] * w[k, c];
                if (z > bestLogit) (best, bestLogit) = (c, z);
            }
            if (best == ids[i]) correct++;
        }
        Assert.That(r["accuracy"], Is.EqualTo((double)correct / ids.Length).Within(2e-4));
        Assert.That(r["accuracy"], Is.GreaterThan(0.8));
    }

    private static double[,] Matrix(Tensor t)
    {
        var v = t.ToArray<float>();
        var m = new double[t.Dims[0], t.Dims[1]];
        for (int i = 0; i < t.Dims[0]; i++)
            for (int j = 0; j < t.Dims[1]; j++) m[i, j] = v[i * t.Dims[1] + j];
        return m;
    }

    private static double[,] MatMul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < k; p++)
                for (int j = 0; j < m; j++) c[i, j] += a[i, p] * b[p, j];
        return c;
    }

    [Test]
    public void ConvolutionalNetworkEstimatorSharesOneSetOfWeightsBetweenItsTowers()
    {
        var r = ConvolutionalNetwork.Run(Options, TextWriter.Null);
        Assert.That(r["global_step"], Is.EqualTo(60));
        Assert.That(r["accuracy"], Is.GreaterThan(0.7));
        // The second tower reuses ConvNet's variables: one kernel and bias per layer, Adam's two slots
        // for each, Adam's power accumulators and the global step; nothing under ConvNet_1.
        var dir = Path.Combine(_dir, "convolutional_network");
        using var ckpt = new CheckpointReader(TensorGraph.Training.Saver.LatestCheckpoint(dir)!);
        var layers = new[] { "conv2d", "conv2d_1", "dense", "dense_1" };
        var expected = layers.SelectMany(l => new[] { "bias", "kernel" }.SelectMany(v => new[]
        {
            $"ConvNet/{l}/{v}", $"ConvNet/{l}/{v}/Adam", $"ConvNet/{l}/{v}/Adam_1",
        })).Concat(["beta1_power", "beta2_power", "global_step"]).OrderBy(n => n, StringComparer.Ordinal);
        Assert.That(ckpt.TensorNames.OrderBy(n => n, StringComparer.Ordinal), Is.EqualTo(expected));
        Assert.That(ckpt.GetTensor("ConvNet/conv2d/kernel").Dims.ToArray(), Is.EqualTo(new[] { 5, 5, 1, 32 }));
        Assert.That(ckpt.GetTensor("ConvNet/dense/kernel").Dims.ToArray(), Is.EqualTo(new[] { 1600, 1024 }));
    }

    [Test]
    public void Word2VecLowersTheNceLossAndItsSimilaritiesAreCosines()
    {
        var r = Word2Vec.Run(Options, TextWriter.Null, out var d);
        Assert.That(r["vocabulary_size"], Is.GreaterThan(1000));
        Assert.That(r["last_loss"], Is.LessThan(r["first_loss"] / 3));
        // The evaluation's similarities are the cosines of the trained embeddings.
        var e = d.Embedding.ToArray<float>();
        int dim = d.Embedding.Dims[1], v = d.Embedding.Dims[0];
        var sim = d.EvalSimilarity.ToArray<float>();
        double Norm(int row) => Math.Sqrt(Enumerable.Range(0, dim).Sum(k => (double)e[row * dim + k] * e[row * dim + k]));
        for (int i = 0; i < d.EvalIds.Length; i++)
        {
            int a = d.EvalIds[i];
            foreach (int j in new[] { 0, 1, a, v - 1 })
            {
                double dot = Enumerable.Range(0, dim).Sum(k => (double)e[a * dim + k] * e[j * dim + k]);
                // The original normalizes the looked-up rows by their joint norm, so a row's cosines are scaled alike.
                double joint = Math.Sqrt(d.EvalIds.Sum(id => Norm(id) * Norm(id)));
                Assert.That(sim[i * v + j], Is.EqualTo(dot / joint / Norm(j)).Within(1e-4));
            }
        }
    }

    [Test]
    public void TextCorpusWordsAreLowerCaseLetterRuns()
    {
        Assert.That(TextCorpora.Words("Call me Ishmael. Some years ago—never mind the whale's jaw; 1851!"),
            Is.EqualTo(new[] { "call", "me", "ishmael", "some", "years", "ago", "never", "mind", "the", "whale's", "jaw" }));
    }

    [Test]
    public void AutoencoderLearnsToReconstructDigits()
    {
        var r = Autoencoder.Run(Options, TextWriter.Null, out var png);
        Assert.That(r["last_loss"], Is.LessThan(r["first_loss"] * 0.6));
        Assert.That(r["test_loss"], Is.LessThan(0.25));
        Assert.That(DecodedShape(png), Is.EqualTo(new[] { 56, 280, 1 }));
    }

    [Test]
    public void GanTrainsBothNetworksAndWritesSamples()
    {
        var r = Gan.Run(Options, TextWriter.Null, out var d);
        foreach (var k in new[] { "gen_loss", "disc_loss", "gen_loss_first", "disc_loss_first" })
            Assert.That(double.IsFinite(r[k]), k);
        // At the start D(x) ≈ 0.5 everywhere (loss ≈ 2 ln 2); the discriminator then learns to tell real from generated.
        Assert.That(r["disc_loss_first"], Is.EqualTo(2 * Math.Log(2)).Within(0.3));
        Assert.That(r["disc_loss"], Is.LessThan(r["disc_loss_first"]));
        Assert.That(d.Samples.Dims.ToArray(), Is.EqualTo(new[] { 40, 784 }));
        Assert.That(d.Samples.ToArray<float>(), Has.All.InRange(0f, 1f));
        Assert.That(DecodedShape(d.ImagePath), Is.EqualTo(new[] { 112, 280, 1 }));
    }

    [Test]
    public void TensorBoardBasicWritesTheGraphAndAScalarPerStep()
    {
        var r = TensorBoardBasic.Run(Options, TextWriter.Null, out var logs);
        var events = EventFileReader.ReadEvents(Directory.GetFiles(logs, "events.out.tfevents.*").Single()).ToList();
        Assert.That(events.Count(e => !e.GraphDef.IsEmpty), Is.EqualTo(1));
        var graph = Proto.GraphDef.Parser.ParseFrom(events.First(e => !e.GraphDef.IsEmpty).GraphDef);
        Assert.That(graph.Node.Select(n => n.Name), Does.Contain("InputData").And.Contain("Model/Softmax").And.Contain("Loss/Mean"));
        var scalars = events.Where(e => e.Summary != null).Select(e => (e.Step, Tags: string.Join(",", e.Summary.Value.Select(v => v.Tag)))).ToList();
        Assert.That(scalars.Count, Is.EqualTo((int)r["steps"]));
        Assert.That(scalars.Select(s => s.Step), Is.EqualTo(Enumerable.Range(0, (int)r["steps"]).Select(i => (long)i)));
        // As in TF, a summary's tag is its unique op name, and names are unique regardless of case:
        // the name scopes "Loss" and "Accuracy" already exist, so the summaries are loss_1 and accuracy_1.
        Assert.That(scalars.Select(s => s.Tags).Distinct().ToArray(), Is.EqualTo(new[] { "loss_1,accuracy_1" }));
        Assert.That(r["accuracy"], Is.GreaterThan(0.8));
    }

    [Test]
    public void SaveRestoreModelRestoresExactlyAndTrainsOn()
    {
        var r = SaveRestoreModel.Run(Options, TextWriter.Null);
        Assert.That(r["accuracy_restored"], Is.EqualTo(r["accuracy_saved"]));
        Assert.That(r["accuracy_saved"], Is.GreaterThan(0.5));
        Assert.That(r["accuracy"], Is.GreaterThan(0.6));
    }

    private static int[] DecodedShape(string png)
    {
        var g = new Graph();
        var image = g.DecodePng(g.ReadFile(g.Constant(png)));
        using var sess = new Session(g);
        return sess.Run(image).Dims.ToArray();
    }
}
