using System.Globalization;
using System.Text.Json;
using TensorGraph.Cli;
using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Cli;

/// <summary>
/// A model_dir written by TensorFlow 1.7.0: stirlingcarter/diagnosis_NN @ 7f9a6d14 (MIT),
/// <c>model/</c> — a <c>DNNClassifier(hidden_units=[10, 10, 10], activation_fn=elu,
/// optimizer='Adam', loss_reduction=SUM, n_classes=2)</c> over the 30 numeric columns of the
/// Wisconsin breast-cancer data. Its eval events record, at step 3000, accuracy 0.98333 and
/// average_loss 0.0745304 over <c>testdata.csv</c> and 0.0765367 over <c>validationdata.csv</c>
/// (60 examples each, one eval batch; the script evaluated on one file or the other). The input
/// pipeline is a TF 1.7 tf.data iterator (TensorSliceDataset, ShuffleDataset, RepeatDataset, the
/// v1 BatchDataset, the v1 <c>Iterator</c> + MakeIterator); the graph also has legacy <c>Gather</c>,
/// IsVariableInitialized and partitioned ref variables (<c>dnn/hiddenlayer_0/kernel/part_0</c>,
/// restored by Assign from the key <c>dnn/hiddenlayer_0/kernel</c>). As a user would, the tests
/// feed IteratorGetNext's outputs: the features by sorted key (0..29), the label (30).
/// </summary>
public class DatasetFedEstimatorModelDirTests
{
    private const string Root = "tensorflow/diagnosis_nn";
    private const string Probability = "dnn/head/predictions/logistic";
    private const string ClassIds = "dnn/head/predictions/class_ids";

    /// <summary>cancer_data.py's CSV_COLUMN_NAMES, which replace the files' header row.</summary>
    private static readonly string[] CsvColumns =
    [
        "radius_mean", "texture_mean", "perimeter_mean", "area_mean", "smoothness_mean", "compactness_mean", "concavity_mean",
        "concave_points_mean", "symmetry_mean", "fractal_dimension_mean", "radius_se", "texture_se", "perimeter_se", "area_se",
        "smoothness_se", "compactness_se", "concavity_se", "concave_points_se", "symmetry_se", "fractal_dimension_se", "radius_worst",
        "texture_worst", "perimeter_worst", "area_worst", "smoothness_worst", "compactness_worst", "concavity_worst",
        "concave_points_worst", "symmetry_worst", "fractal_dimension_worst", "diagnosis",
    ];

    /// <summary>The features in IteratorGetNext's (and input_layer's) order: the keys sorted.</summary>
    private static readonly string[] Features = [.. CsvColumns.Take(30).Order(StringComparer.Ordinal)];

    private string _tmp = "";

    [SetUp]
    public void SetUp() => _tmp = Directory.CreateTempSubdirectory("tg-diagnosis").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_tmp, true);

    private static string ModelDir => Fixtures.ThirdParty(Path.Combine(Root, "model"));

    private static string FeedName(int f) => f == 0 ? "IteratorGetNext" : $"IteratorGetNext:{f}";

    /// <summary>A CSV of the data: each feature (in <see cref="Features"/> order) as a column, and the labels.</summary>
    private static (double[][] Columns, long[] Labels) ReadCsv(string file)
    {
        var rows = File.ReadAllLines(Fixtures.ThirdParty(Path.Combine(Root, file))).Skip(1).Select(l => l.Split(',')).ToArray();
        var columns = Features.Select(f => rows.Select(r => double.Parse(r[Array.IndexOf(CsvColumns, f)], CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return (columns, [.. rows.Select(r => long.Parse(r[30], CultureInfo.InvariantCulture))]);
    }

    /// <summary>The eval summary <paramref name="tag"/> at step 3000 in the eval events file <paramref name="file"/>.</summary>
    private static float Recorded(string file, string tag)
    {
        var events = Path.Combine(ModelDir, "eval", file);
        return EventFileReader.ReadEvents(events).Where(e => e.Step == 3000 && e.Summary is not null)
            .SelectMany(e => e.Summary.Value).Single(v => v.Tag == tag).SimpleValue;
    }

    /// <summary>
    /// P(class 1) computed here from the checkpoint's weights (by their saved keys): three ELU
    /// layers of 10 (elu(x) = x for x &gt; 0, eˣ − 1 otherwise), a logit, a sigmoid, in double precision.
    /// </summary>
    private static double[] ByHand(double[][] columns)
    {
        using var r = new CheckpointReader(Models.ResolveCheckpoint(ModelDir));
        float[] W(string name) => r.GetTensor(name).ToArray<float>();
        int n = columns[0].Length;
        var p = new double[n];
        for (int i = 0; i < n; i++)
        {
            double[] x = [.. columns.Select(c => (double)(float)c[i])];
            foreach (var layer in new[] { "hiddenlayer_0", "hiddenlayer_1", "hiddenlayer_2", "logits" })
            {
                var k = W($"dnn/{layer}/kernel");
                var b = W($"dnn/{layer}/bias");
                var y = new double[b.Length];
                for (int j = 0; j < b.Length; j++)
                {
                    double s = b[j];
                    for (int m = 0; m < x.Length; m++) s += x[m] * k[m * b.Length + j];
                    y[j] = layer == "logits" || s > 0 ? s : Math.Exp(s) - 1;
                }
                x = y;
            }
            p[i] = 1 / (1 + Math.Exp(-x[0]));
        }
        return p;
    }

    private (double[] P, long[] Ids) RunCli(double[][] columns)
    {
        var args = new List<string> { "run", Path.Combine(ModelDir, "graph.pbtxt"), "--checkpoint", ModelDir };
        for (int f = 0; f < Features.Length; f++)
        {
            var file = Path.Combine(_tmp, Features[f] + ".npy");
            Npy.Write(file, Tensor.FromArray(columns[f]));
            args.AddRange(["--feed", $"{FeedName(f)}=@{file}"]);
        }
        args.AddRange(["--fetch", Probability, "--fetch", ClassIds, "--json"]);
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run([.. args], o, e);
        Assert.That(code, Is.EqualTo(0), e.ToString());
        var json = JsonDocument.Parse(o.ToString()).RootElement;
        return ([.. json.GetProperty(Probability + ":0").GetProperty("values").EnumerateArray().Select(v => v.GetDouble())],
            [.. json.GetProperty(ClassIds + ":0").GetProperty("values").EnumerateArray().Select(v => v.GetInt64())]);
    }

    [Test]
    public void CliPredictsTheTestSetAsTheCheckpointsWeightsDo()
    {
        var (columns, _) = ReadCsv("testdata.csv");
        var (p, ids) = RunCli(columns);
        var expected = ByHand(columns);
        Assert.That(p, Is.EqualTo(expected).Within(1e-5));
        Assert.That(ids, Is.EqualTo(expected.Select(v => v > 0.5 ? 1L : 0L).ToArray()));
    }

    /// <summary>
    /// Accuracy and average loss over the 60 examples of a file — TF's eval over the same data in
    /// one batch — from the CLI's predictions: 59 of 60 right, and the mean logistic loss TF
    /// recorded to float precision. The two files' losses differ by 0.002, so each eval run is
    /// matched to its own data.
    /// </summary>
    [TestCase("testdata.csv", "events.out.tfevents.1524127153.DESKTOP-NJRCMD3")]
    [TestCase("validationdata.csv", "events.out.tfevents.1524127199.DESKTOP-NJRCMD3")]
    public void AccuracyAndLossAreWhatTensorFlowsEvalRecorded(string data, string events)
    {
        var (columns, labels) = ReadCsv(data);
        Assert.That(labels, Has.Length.EqualTo(60));
        var (p, ids) = RunCli(columns);
        double accuracy = ids.Zip(labels).Count(t => t.First == t.Second) / (double)labels.Length;
        double loss = p.Zip(labels).Average(t => -Math.Log(t.Second == 1 ? t.First : 1 - t.First));
        TestContext.Out.WriteLine($"{data}: accuracy {accuracy:F6} (TF {Recorded(events, "accuracy"):F6}), average loss {loss:F7} (TF {Recorded(events, "average_loss"):F7})");
        Assert.That(accuracy, Is.EqualTo(Recorded(events, "accuracy")).Within(1e-6));
        Assert.That(loss, Is.EqualTo(Recorded(events, "average_loss")).Within(2e-6));
        Assert.That(loss * labels.Length, Is.EqualTo(Recorded(events, "loss")).Within(1e-4), "loss_reduction=SUM");
    }

    /// <summary>
    /// The graph's own input pipeline — the training data TF 1.7 embedded as TensorSliceDataset
    /// constants, shuffled, repeated and batched by 100 (the v1 BatchDataset), read through the v1
    /// Iterator once MakeIterator has run — feeds the classifier in the same run as the prediction.
    /// </summary>
    [Test]
    public void TheGraphsOwnDatasetPipelineFeedsThePredictions()
    {
        using var model = Models.Load(Path.Combine(ModelDir, "graph.pbtxt"), "serve", ModelDir);
        var g = model.Graph;
        model.Session.Run(g.GetOperation("MakeIterator"));
        for (int step = 0; step < 2; step++)
        {
            var fetches = Enumerable.Range(0, 31).Select(i => g.GetTensor($"IteratorGetNext:{i}")).Append(g.GetTensor(Probability + ":0")).ToArray();
            var values = model.Session.Run(fetches);
            var columns = values.Take(30).Select(t => t.ToArray<double>()).ToArray();
            Assert.That(columns[0], Has.Length.EqualTo(100), "batch_size 100");
            Assert.That(values[30].ToArray<long>(), Is.All.EqualTo(0L).Or.EqualTo(1L), "labels");
            Assert.That(values[31].ToArray<float>().Select(v => (double)v), Is.EqualTo(ByHand(columns)).Within(1e-5));
        }
    }

    [Test]
    public void InspectListsTheDatasetOpsTheLegacyGatherAndThePartitions()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.That(CliApp.Run(["inspect", Path.Combine(ModelDir, "graph.pbtxt")], o, e), Is.EqualTo(0), e.ToString());
        var text = o.ToString();
        foreach (var op in new[] { "Gather", "IsVariableInitialized", "TensorSliceDataset", "ShuffleDataset", "RepeatDataset", "IteratorGetNext", "MakeIterator" })
            Assert.That(text, Does.Match($@"\n  {op} +\d+"), op);
        Assert.That(text, Does.Contain("dnn/hiddenlayer_0/kernel/part_0  float32  (30, 10)  (VariableV2)"));
        Assert.That(text, Does.Contain("Unsupported op types: none"), "every op of the graph is implemented, the v1 BatchDataset and Iterator included");
    }
}
