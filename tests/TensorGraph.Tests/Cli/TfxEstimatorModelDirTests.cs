using System.IO.Compression;
using System.Text.Json;
using TensorGraph.Cli;
using TensorGraph.Serialization;
using TensorGraph.Proto;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Cli;

/// <summary>
/// A model_dir trained by TensorFlow itself: TFX's Chicago-taxi <c>DNNLinearCombinedClassifier</c>
/// (tensorflow/tfx @ a59bc584, <c>tfx/examples/chicago_taxi_pipeline/testdata/Trainer/model/serving_model_dir</c>,
/// Apache-2.0): graph.pbtxt, model.ckpt-10000 (resource variables), and the eval events in which
/// TF recorded accuracy 0.796735 at global step 10000. Its eval data are the Transform output
/// beside it (<c>Transform/transformed_examples/eval</c>, 5091 gzip'ed tf.Examples). The input
/// pipeline is a tf.data iterator; as a user would, the tests feed IteratorGetNext's outputs (the
/// features dict flattened by sorted key: outputs 0..15, label 16, each of static shape [40]).
/// The linear part runs TF's feature-column sparse path (GatherNd, SparseReshape,
/// SparseFillEmptyRows, Unique, ResourceGather, SparseSegmentSum).
/// </summary>
public class TfxEstimatorModelDirTests
{
    private const string Testdata = "tensorflow/tfx/chicago_taxi_pipeline/testdata";
    private const int Batch = 40;
    private const string Probability = "head/predictions/logistic";
    private const string ClassIds = "head/predictions/class_ids";

    /// <summary>The features in IteratorGetNext's output order (sorted keys; the label tips_xf comes last).</summary>
    private static readonly string[] Features =
    [
        "company_xf", "dropoff_census_tract_xf", "dropoff_community_area_xf", "dropoff_latitude_xf", "dropoff_longitude_xf", "fare_xf",
        "payment_type_xf", "pickup_census_tract_xf", "pickup_community_area_xf", "pickup_latitude_xf", "pickup_longitude_xf", "trip_miles_xf",
        "trip_seconds_xf", "trip_start_day_xf", "trip_start_hour_xf", "trip_start_month_xf",
    ];

    private static readonly HashSet<string> FloatFeatures = ["fare_xf", "trip_miles_xf", "trip_seconds_xf"];

    private string _tmp = "";

    [SetUp]
    public void SetUp() => _tmp = Directory.CreateTempSubdirectory("tg-tfx").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_tmp, true);

    private static string Dir(string relative) => Fixtures.ThirdParty(Path.Combine(Testdata, relative));

    private static string ModelDir => Dir("Trainer/model/serving_model_dir");

    /// <summary>The eval examples in file order: each feature as one column, and the labels.</summary>
    private static (Dictionary<string, double[]> Columns, long[] Labels) ReadEvalExamples()
    {
        var columns = Features.ToDictionary(f => f, _ => new List<double>());
        var labels = new List<long>();
        foreach (var file in Directory.GetFiles(Dir("Transform/transformed_examples/eval"), "*.gz").Order(StringComparer.Ordinal))
        {
            using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            foreach (var record in RecordReader.ReadRecords(gz, file))
            {
                var f = Example.Parser.ParseFrom(record).Features.Feature;
                foreach (var name in Features) columns[name].Add(FloatFeatures.Contains(name) ? f[name].FloatList.Value.Single() : f[name].Int64List.Value.Single());
                labels.Add(f["tips_xf"].Int64List.Value.Single());
            }
        }
        return (columns.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), labels.ToArray());
    }

    /// <summary>Rows [start, start + 40) of a column; past the end it wraps to the first rows (padding the last batch).</summary>
    private static Tensor BatchOf(string feature, double[] column, int start)
    {
        var rows = Enumerable.Range(start, Batch).Select(i => column[i % column.Length]);
        return FloatFeatures.Contains(feature) ? Tensor.FromArray(rows.Select(v => (float)v).ToArray()) : Tensor.FromArray(rows.Select(v => (long)v).ToArray());
    }

    private static string FeedName(int i) => i == 0 ? "IteratorGetNext" : $"IteratorGetNext:{i}";

    /// <summary>The scalar summary <paramref name="tag"/> TF wrote at <paramref name="step"/> in the model_dir's eval events.</summary>
    private static float Recorded(string tag, long step)
    {
        var events = Directory.GetFiles(Path.Combine(ModelDir, "eval_chicago-taxi-eval"), "events.out.tfevents.*").Single();
        return EventFileReader.ReadEvents(events).Where(e => e.Step == step && e.Summary is not null)
            .SelectMany(e => e.Summary.Value).Single(v => v.Tag == tag).SimpleValue;
    }

    private static long CheckpointStep()
    {
        var prefix = Models.ResolveCheckpoint(ModelDir);
        Assert.That(Path.GetFileName(prefix), Is.EqualTo("model.ckpt-10000"), "the 'checkpoint' file names the latest checkpoint");
        using var r = new CheckpointReader(prefix);
        return r.GetTensor("global_step").ToArray<long>().Single();
    }

    /// <summary>
    /// The model computed here from the checkpoint's weights: the DNN (numeric columns in sorted
    /// order fare, trip_miles, trip_seconds → ReLU layers 100, 70, 48, 34 → 1) plus the linear part
    /// (the sum of each categorical column's weight at its id, ids out of range mapping to the
    /// column's default 0, plus bias_weights), through a sigmoid.
    /// </summary>
    private static double[] ProbabilitiesByHand(Dictionary<string, double[]> columns, int start)
    {
        using var r = new CheckpointReader(Models.ResolveCheckpoint(ModelDir));
        float[] W(string name) => r.GetTensor(name).ToArray<float>();
        var p = new double[Batch];
        for (int i = 0; i < Batch; i++)
        {
            int row = (start + i) % columns["fare_xf"].Length;
            double[] x = [columns["fare_xf"][row], columns["trip_miles_xf"][row], columns["trip_seconds_xf"][row]];
            foreach (var layer in new[] { "hiddenlayer_0", "hiddenlayer_1", "hiddenlayer_2", "hiddenlayer_3", "logits" })
            {
                var k = W($"dnn/{layer}/kernel");
                var b = W($"dnn/{layer}/bias");
                var y = new double[b.Length];
                for (int j = 0; j < b.Length; j++)
                {
                    double s = b[j];
                    for (int m = 0; m < x.Length; m++) s += x[m] * k[m * b.Length + j];
                    y[j] = layer == "logits" ? s : Math.Max(s, 0);
                }
                x = y;
            }
            double logit = x[0] + W("linear/linear_model/bias_weights")[0];
            foreach (var name in Features.Where(f => r.HasTensor($"linear/linear_model/{f}/weights")))
            {
                var w = W($"linear/linear_model/{name}/weights");
                long id = (long)columns[name][row];
                logit += w[id >= 0 && id < w.Length ? id : 0];
            }
            p[i] = 1 / (1 + Math.Exp(-logit));
        }
        return p;
    }

    /// <summary>
    /// What the TFX graph needs of <c>--checkpoint</c> without its fixture: a GraphDef whose
    /// variables are resource variables (VarHandleOp, as TF 2.x Estimators make them) gets their
    /// values from the checkpoint by node name; uninitialized in the graph, they read TF's values.
    /// </summary>
    [Test]
    public void CliRestoresResourceVariablesOfAGraphDefFromACheckpoint()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 2), "x");
        var w = g.VarHandleOp(DType.Float32, new Shape(2, 1), name: "dense/kernel");
        var b = g.VarHandleOp(DType.Float32, new Shape(1), name: "dense/bias");
        g.Add(g.MatMul(x, g.ReadVariableOp(w, DType.Float32)), g.ReadVariableOp(b, DType.Float32), "y");
        var graph = Path.Combine(_tmp, "graph.pbtxt");
        ProtoFiles.Write(graph, g.ToGraphDef());
        var prefix = Path.Combine(_tmp, "model.ckpt-7");
        using (var cw = new CheckpointWriter(prefix))
        {
            cw.Add("dense/kernel", Tensor.Create(new[] { 2f, -1f }, 2, 1));
            cw.Add("dense/bias", Tensor.FromArray(new[] { 0.5f }));
            cw.Finish();
        }
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(["run", graph, "--checkpoint", prefix, "--feed", "x=[[1, 2], [3, 1]]", "--fetch", "y", "--json"], o, e);
        Assert.That(code, Is.EqualTo(0), e.ToString());
        var values = JsonDocument.Parse(o.ToString()).RootElement.GetProperty("y:0").GetProperty("values").EnumerateArray().Select(v => v.GetDouble());
        // [1, 2]·[2, -1] + 0.5 = 0.5; [3, 1]·[2, -1] + 0.5 = 5.5.
        Assert.That(values, Is.EqualTo(new[] { 0.5, 5.5 }));
    }

    [Test]
    public void CliPredictsAnEvalBatchFromTheLatestCheckpoint()
    {
        var (columns, _) = ReadEvalExamples();
        const int start = 200;
        var args = new List<string> { "run", Path.Combine(ModelDir, "graph.pbtxt"), "--checkpoint", ModelDir };
        for (int i = 0; i < Features.Length; i++)
        {
            var file = Path.Combine(_tmp, Features[i] + ".npy");
            Npy.Write(file, BatchOf(Features[i], columns[Features[i]], start));
            args.AddRange(["--feed", $"{FeedName(i)}=@{file}"]);
        }
        args.AddRange(["--fetch", Probability, "--fetch", ClassIds, "--json"]);
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run([.. args], o, e);
        Assert.That(code, Is.EqualTo(0), e.ToString());
        var json = JsonDocument.Parse(o.ToString()).RootElement;
        var probs = json.GetProperty(Probability + ":0").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var ids = json.GetProperty(ClassIds + ":0").GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var expected = ProbabilitiesByHand(columns, start);
        Assert.That(probs, Is.EqualTo(expected).Within(1e-5));
        Assert.That(ids, Is.EqualTo(expected.Select(p => p > 0.5 ? 1L : 0L).ToArray()));
    }

    /// <summary>
    /// Accuracy over the whole eval set, in batches of 40 like TF's eval (the last batch padded with
    /// the first examples, which are not counted), through the CLI's model loader: graph.pbtxt with
    /// the latest checkpoint restored. TF's 0.796735 is not over exactly these 5091 examples: its
    /// eval input (make_batched_features_dataset, num_epochs=None, shuffle) repeats them endlessly
    /// and EvalSpec took 5000 batches of 40, i.e. 200,000 draws, each example ≈ 39.3 times. The
    /// label mean TF recorded in the same evaluation (label/mean 0.22234) is within 2e-5 of these
    /// examples' own (0.222353): what the draws weigh differently is of that order, so the
    /// accuracies must agree to 2e-3 (the same eval data with another model would differ by more).
    /// </summary>
    [Test]
    public void AccuracyOverTheEvalDataIsWhatTensorFlowRecorded()
    {
        long step = CheckpointStep();
        Assert.That(step, Is.EqualTo(10000));
        var (columns, labels) = ReadEvalExamples();
        Assert.That(labels, Has.Length.EqualTo(5091));
        Assert.That(labels.Average(), Is.EqualTo(Recorded("label/mean", step)).Within(1e-3), "the eval examples TF drew from");

        using var model = Models.Load(Path.Combine(ModelDir, "graph.pbtxt"), "serve", ModelDir);
        var g = model.Graph;
        var fetch = g.GetTensor(ClassIds + ":0");
        long correct = 0;
        for (int start = 0; start < labels.Length; start += Batch)
        {
            var feeds = new FeedDict();
            for (int i = 0; i < Features.Length; i++) feeds[g.GetTensor(FeedName(i) + (i == 0 ? ":0" : ""))] = BatchOf(Features[i], columns[Features[i]], start);
            var ids = model.Session.Run(fetch, feeds)!.ToArray<long>();
            for (int i = 0; i < Batch && start + i < labels.Length; i++) if (ids[i] == labels[start + i]) correct++;
        }
        double accuracy = (double)correct / labels.Length;
        TestContext.Out.WriteLine($"accuracy {accuracy:F6} ({correct}/{labels.Length}); TF recorded {Recorded("accuracy", step):F6}");
        Assert.That(accuracy, Is.EqualTo(Recorded("accuracy", step)).Within(2e-3));
        Assert.That(accuracy, Is.Not.EqualTo(Recorded("accuracy_baseline", step)).Within(1e-2), "better than always predicting the majority class");
    }
}
