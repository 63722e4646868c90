using System.Globalization;
using System.Text.Json;
using TensorGraph.Cli;
using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Cli;

/// <summary>
/// A model_dir written by TensorFlow 1.13.1 whose input pipeline is a TF1 queue: ddfunt/ncaam_learn
/// @ 38d2d267 (MIT), <c>model/</c> — a <c>DNNClassifier(hidden_units=[10], n_classes=2,
/// label_vocabulary=['W', 'L'])</c> over 22 numeric columns, trained 10000 steps with
/// ProximalAdagrad on <c>numpy_input_fn(batch_size=500, shuffle=True)</c> over the repository's
/// <c>game_data.csv</c>. Its graph holds RandomShuffleQueueV2, QueueEnqueueManyV2,
/// QueueDequeueManyV2, QueueCloseV2, QueueSizeV2, IsVariableInitialized, HashTableV2 label
/// lookups and partitioned resource variables (<c>dnn/hiddenlayer_0/kernel/part_0</c>, saved
/// as <c>dnn/hiddenlayer_0/kernel</c> with the slice <c>"22 10 0,22:0,10"</c>), and its
/// checkpoint has two data shards. The dequeue's outputs are the row index (0), the features
/// by sorted key (1..22) and the label (23), each of static shape [500].
/// </summary>
public class QueueFedEstimatorModelDirTests
{
    private const string Root = "tensorflow/ncaam_learn";
    private const int Batch = 500;
    private const string Dequeue = "random_shuffle_queue_DequeueMany";
    private const string Probability = "dnn/head/predictions/logistic";
    private const string ClassIds = "dnn/head/predictions/class_ids";

    /// <summary>The feature keys of tf_learn.py in the dequeue's order (sorted, ordinal).</summary>
    private static readonly string[] Features =
    [
        "adjD", "adjEM", "adjO", "adjT", "home_away", "luck", "noncon_adjEM", "oppD", "oppO", "opp_adjD", "opp_adjEM",
        "opp_adjO", "opp_adjT", "opp_luck", "opp_noncon_adjEM", "opp_oppD", "opp_oppO", "opp_rank", "opp_score",
        "opp_win_loss", "team_score", "win_loss",
    ];

    private string _tmp = "";

    [SetUp]
    public void SetUp() => _tmp = Directory.CreateTempSubdirectory("tg-ncaam").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_tmp, true);

    private static string ModelDir => Fixtures.ThirdParty(Path.Combine(Root, "model"));

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>
    /// The training data as tf_learn.py hands them to numpy_input_fn: each row's fields under the
    /// header names ('/' → '_', stripped; of repeated names the last wins), a number where Python's
    /// float() takes the field; "a-b" records become a − b. Its <c>home_away</c> property reads
    /// the win-loss difference (the script's setter is declared with <c>@win_loss.setter</c>, so
    /// the property's getter is win_loss's), and that is what TF trained on. Labels: 'L' = class 1.
    /// </summary>
    private static (double[][] Columns, long[] Labels) ReadTrainingData()
    {
        var lines = File.ReadAllLines(Fixtures.ThirdParty(Path.Combine(Root, "game_data.csv")));
        var headers = lines[0].Replace('/', '_').Split(',').Select(h => h.Trim()).ToArray();
        var columns = Features.Select(_ => new List<double>()).ToArray();
        var labels = new List<long>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < Math.Min(headers.Length, fields.Length); i++) row[headers[i]] = fields[i].Trim();
            double Value(string key)
            {
                var s = row[key == "home_away" ? "win_loss" : key];
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return v;
                var wl = s.Split('-');
                return double.Parse(wl[0], CultureInfo.InvariantCulture) - double.Parse(wl[1], CultureInfo.InvariantCulture);
            }
            for (int f = 0; f < Features.Length; f++) columns[f].Add(Value(Features[f]));
            labels.Add(row["outcome"] switch
            {
                "W" => 0,
                "L" => 1,
                var o => throw new InvalidDataException($"outcome '{o}'"),
            });
        }
        return ([.. columns.Select(c => c.ToArray())], [.. labels]);
    }

    /// <summary>Rows [start, start + 500) of a column; past the end it wraps to the first rows.</summary>
    private static Tensor BatchOf(double[] column, int start) =>
        Tensor.FromArray(Enumerable.Range(start, Batch).Select(i => column[i % column.Length]).ToArray());

    /// <summary>The dequeue output that carries feature <paramref name="f"/> (0-based in <see cref="Features"/>).</summary>
    private static string FeedName(int f) => $"{Dequeue}:{f + 1}";

    /// <summary>
    /// The classifier computed here from the checkpoint's weights (read by their saved keys):
    /// P(L) = σ(relu(x·K₀ + b₀)·K₁ + b₁), x the 22 features in sorted-key order (the order of
    /// input_layer's columns), in double precision; also each row's count of zero hidden units.
    /// </summary>
    private static (double[] P, int[] ZeroUnits) ByHand(double[][] columns, IEnumerable<int> rows)
    {
        using var r = new CheckpointReader(Models.ResolveCheckpoint(ModelDir));
        float[] W(string name) => r.GetTensor(name).ToArray<float>();
        var k0 = W("dnn/hiddenlayer_0/kernel");
        var b0 = W("dnn/hiddenlayer_0/bias");
        var k1 = W("dnn/logits/kernel");
        var b1 = W("dnn/logits/bias");
        Assert.That(k0, Has.Length.EqualTo(22 * 10));
        var p = new List<double>();
        var zeros = new List<int>();
        foreach (int row in rows)
        {
            double logit = b1[0];
            int z = 0;
            for (int j = 0; j < 10; j++)
            {
                double h = b0[j];
                for (int f = 0; f < 22; f++) h += (float)columns[f][row] * (double)k0[f * 10 + j];
                if (h <= 0) z++;
                logit += Math.Max(h, 0) * k1[j];
            }
            p.Add(1 / (1 + Math.Exp(-logit)));
            zeros.Add(z);
        }
        return ([.. p], [.. zeros]);
    }

    /// <summary>The scalar <paramref name="tag"/> TF recorded at each summary step of the training events.</summary>
    private static IReadOnlyList<(long Step, float Value)> Recorded(string tag)
    {
        var events = Directory.GetFiles(ModelDir, "events.out.tfevents.*").Single();
        return [.. EventFileReader.ReadEvents(events).Where(e => e.Summary is not null)
            .SelectMany(e => e.Summary.Value.Where(v => v.Tag == tag).Select(v => (e.Step, v.SimpleValue)))];
    }

    [Test]
    public void CliPredictsABatchFedAtTheDequeueFromTheLatestCheckpoint()
    {
        var (columns, _) = ReadTrainingData();
        const int start = 3000;
        var args = new List<string> { "run", Path.Combine(ModelDir, "graph.pbtxt"), "--checkpoint", ModelDir };
        for (int f = 0; f < Features.Length; f++)
        {
            var file = Path.Combine(_tmp, Features[f] + ".npy");
            Npy.Write(file, BatchOf(columns[f], start));
            args.AddRange(["--feed", $"{FeedName(f)}=@{file}"]);
        }
        args.AddRange(["--fetch", Probability, "--fetch", ClassIds, "--json"]);
        var (code, o, e) = Run([.. args]);
        Assert.That(code, Is.EqualTo(0), e);
        var json = JsonDocument.Parse(o).RootElement;
        var probs = json.GetProperty(Probability + ":0").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var ids = json.GetProperty(ClassIds + ":0").GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var (expected, _) = ByHand(columns, Enumerable.Range(start, Batch));
        Assert.That(probs, Is.EqualTo(expected).Within(1e-5));
        Assert.That(ids, Is.EqualTo(expected.Select(p => p > 0.5 ? 1L : 0L).ToArray()));
        Assert.That(ids.Distinct().Count(), Is.EqualTo(2), "the batch has predictions of both classes");
    }

    /// <summary>
    /// The loss and the dead-unit fraction TF recorded while training, against the same
    /// quantities over the whole training set with the final checkpoint, through the CLI's model
    /// loader. TF's summaries are over one shuffled batch of 500 each (every 100 steps); the last
    /// 20 (steps 8001–9901) average 0.4738 (batch-to-batch s.d. 0.054, so ±0.012 for the mean)
    /// for <c>average_loss</c> and 0.8933 (s.d. 0.0052) for the hidden layer's
    /// <c>fraction_of_zero_values</c>. The whole-data values must agree to 0.035 and 0.005.
    /// That catches a wrong feature order (features shifted by one: loss 34.5, zero fraction
    /// 0.58) but not every input slip (home_away read as the home/away code instead of the
    /// script's win-loss: 0.494 and 0.891); the other tests compare values exactly.
    /// </summary>
    [Test]
    public void LossAndDeadUnitsOverTheTrainingDataAreWhatTensorFlowRecorded()
    {
        var (columns, labels) = ReadTrainingData();
        Assert.That(labels, Has.Length.EqualTo(11080));
        var loss = Recorded("average_loss");
        var zero = Recorded("dnn/dnn/hiddenlayer_0/fraction_of_zero_values");
        Assert.That(loss[^1].Step, Is.EqualTo(9901));
        double tfLoss = loss.TakeLast(20).Average(v => v.Value);
        double tfZero = zero.TakeLast(20).Average(v => v.Value);

        using var model = Models.Load(Path.Combine(ModelDir, "graph.pbtxt"), "serve", ModelDir);
        var g = model.Graph;
        var probability = g.GetTensor(Probability + ":0");
        var hidden = g.GetTensor("dnn/hiddenlayer_0/Relu:0");
        double sumLoss = 0;
        long zeros = 0;
        for (int start = 0; start < labels.Length; start += Batch)
        {
            var feeds = new FeedDict();
            for (int f = 0; f < Features.Length; f++) feeds[g.GetTensor(FeedName(f))] = BatchOf(columns[f], start);
            var (p, h) = model.Session.Run(probability, hidden, feeds);
            var pv = p.ToArray<float>();
            var hv = h.ToArray<float>();
            for (int i = 0; i < Batch && start + i < labels.Length; i++)
            {
                double q = labels[start + i] == 1 ? pv[i] : 1 - pv[i];
                sumLoss -= Math.Log(Math.Max(q, 1e-30));
                for (int j = 0; j < 10; j++) if (hv[i * 10 + j] == 0) zeros++;
            }
        }
        double ourLoss = sumLoss / labels.Length;
        double ourZero = (double)zeros / (labels.Length * 10);
        TestContext.Out.WriteLine($"average loss {ourLoss:F4} (TF {tfLoss:F4}); zero fraction {ourZero:F4} (TF {tfZero:F4})");
        Assert.That(ourLoss, Is.EqualTo(tfLoss).Within(0.035));
        Assert.That(ourZero, Is.EqualTo(tfZero).Within(0.005));
        var (_, zeroByHand) = ByHand(columns, Enumerable.Range(0, labels.Length));
        Assert.That(zeros, Is.EqualTo(zeroByHand.Sum()), "the hidden layer computed here from the checkpoint has the same dead units");
    }

    /// <summary>
    /// The queue itself: the enqueue fed as numpy_input_fn's feeding runner feeds it (row indices,
    /// the 22 columns, the labels as strings), the dequeue of 500 taken from the
    /// RandomShuffleQueueV2 (capacity 750, min_after_dequeue 250), the predictions made from the
    /// dequeued batch in the same run; each equals the hand computation for the row its index names.
    /// </summary>
    [Test]
    public void PredictionsFromBatchesDequeuedFromTheGraphsOwnQueue()
    {
        var (columns, labels) = ReadTrainingData();
        using var model = Models.Load(Path.Combine(ModelDir, "model.ckpt-10000.meta"), "", ModelDir);
        var g = model.Graph;
        const int enqueued = 750;
        var feeds = new FeedDict { [g.GetTensor("enqueue_input/Placeholder:0")] = Tensor.FromArray(Enumerable.Range(0, enqueued).Select(i => (long)i).ToArray()) };
        for (int f = 0; f < Features.Length; f++)
            feeds[g.GetTensor($"enqueue_input/Placeholder_{f + 1}:0")] = Tensor.FromArray(columns[f][..enqueued]);
        feeds[g.GetTensor("enqueue_input/Placeholder_23:0")] = Tensor.FromArray(labels[..enqueued].Select(l => l == 1 ? "L" : "W").ToArray());
        model.Session.Run(g.GetOperation("enqueue_input/random_shuffle_queue_EnqueueMany"), feeds);
        Assert.That(model.Session.Run(g.GetTensor("enqueue_input/random_shuffle_queue_Size:0")).ToArray<int>().Single(), Is.EqualTo(enqueued));

        var (index, p) = model.Session.Run(g.GetTensor(Dequeue + ":0"), g.GetTensor(Probability + ":0"));
        var rows = index.ToArray<long>().Select(i => (int)i).ToArray();
        Assert.That(rows, Has.Length.EqualTo(Batch));
        Assert.That(rows.Distinct().Count(), Is.EqualTo(Batch), "each enqueued row is dequeued once");
        Assert.That(rows, Is.Not.EqualTo(Enumerable.Range(0, Batch).ToArray()), "a shuffling queue");
        var (expected, _) = ByHand(columns, rows);
        Assert.That(p.ToArray<float>().Select(v => (double)v), Is.EqualTo(expected).Within(1e-5));
        Assert.That(model.Session.Run(g.GetTensor("enqueue_input/random_shuffle_queue_Size:0")).ToArray<int>().Single(), Is.EqualTo(enqueued - Batch));
    }

    /// <summary>
    /// The MetaGraph's queue_runners collection holds numpy_input_fn's runner. Started as
    /// <c>tf.train.start_queue_runners</c> does, its enqueue thread fails as TF's would without
    /// the Python feed functions a MetaGraph cannot carry: the placeholders are not fed. The
    /// coordinator reports that error and no thread is left running.
    /// </summary>
    [Test]
    public void QueueRunnersOfTheMetaGraphStartAndReportTheUnfedInput()
    {
        using var model = Models.Load(Path.Combine(ModelDir, "model.ckpt-10000.meta"), "", ModelDir);
        var runners = model.Graph.GetCollection<QueueRunner>(GraphKeys.QueueRunners);
        Assert.That(runners.Select(r => r.Name), Is.EqualTo(new[] { "enqueue_input/random_shuffle_queue" }));
        Assert.That(runners[0].EnqueueOps.Select(o => o.Name), Is.EqualTo(new[] { "enqueue_input/random_shuffle_queue_EnqueueMany" }));
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(model.Session, coord);
        Assert.That(threads, Is.Not.Empty);
        var error = Assert.Throws<InvalidArgumentException>(() => coord.Join(threads, TimeSpan.FromSeconds(30)))!;
        Assert.That(error.Message, Does.Contain("enqueue_input/Placeholder"));
        Assert.That(threads.Any(t => t.IsAlive), Is.False);
    }

    [Test]
    public void InspectListsTheQueuePipelineThePartitionedVariablesAndTheOneMissingOp()
    {
        var (code, o, e) = Run("inspect", Path.Combine(ModelDir, "graph.pbtxt"));
        Assert.That(code, Is.EqualTo(0), e);
        foreach (var op in new[] { "RandomShuffleQueueV2", "QueueEnqueueManyV2", "QueueDequeueManyV2", "QueueCloseV2", "QueueSizeV2", "IsVariableInitialized" })
            Assert.That(o, Does.Match($@"\n  {op} +\d+"), op);
        var unsupported = o[o.IndexOf("Unsupported op types", StringComparison.Ordinal)..o.IndexOf("Placeholders:", StringComparison.Ordinal)];
        Assert.That(unsupported, Does.Not.Contain("Queue").And.Not.Contain("HashTableV2").And.Not.Contain("LookupTable"), "the queue and lookup ops are implemented");
        Assert.That(unsupported, Does.Contain("ResourceApplyProximalAdagrad"), "training's optimizer op is not");
        Assert.That(o, Does.Contain("dnn/hiddenlayer_0/kernel/part_0  float32  (22, 10)"));
        Assert.That(o, Does.Contain("global_step  int64  ()"));
    }

    /// <summary>
    /// The head's own label path: the label vocabulary ['W', 'L'] in HashTableV2s filled by their
    /// table_init (LookupTableImportV2) ops, the string labels fed at the dequeue's output 23
    /// looked up to class ids, and the head's logistic loss summed over the batch (TF 1.13's
    /// canned heads reduce by SUM; the <c>loss</c> summary reads <c>dnn/head/weighted_loss/Sum</c>)
    /// — equal to the loss computed here from the predicted probabilities; the class names are the
    /// vocabulary's at the predicted ids. Before the tables are filled the lookup is TF's
    /// FailedPrecondition, also through the CLI (which runs no initializers).
    /// </summary>
    [Test]
    public void TheHeadsLossAndClassNamesGoThroughTheLabelVocabulary()
    {
        var (columns, labels) = ReadTrainingData();
        const int start = 6000;
        const string names = "dnn/head/predictions/class_string_lookup_Lookup";
        using var model = Models.Load(Path.Combine(ModelDir, "graph.pbtxt"), "serve", ModelDir);
        var g = model.Graph;
        var feeds = new FeedDict();
        for (int f = 0; f < Features.Length; f++) feeds[g.GetTensor(FeedName(f))] = BatchOf(columns[f], start);
        feeds[g.GetTensor($"{Dequeue}:23")] = Tensor.FromArray(Enumerable.Range(start, Batch).Select(i => labels[i % labels.Length] == 1 ? "L" : "W").ToArray());
        var e = Assert.Throws<FailedPreconditionException>(() => model.Session.Run(g.GetTensor(names + ":0"), feeds))!;
        Assert.That(e.Message, Does.Contain("Table not initialized."));

        model.Session.Run([g.GetOperation("dnn/head/predictions/class_string_lookup/table_init"), g.GetOperation("dnn/head/class_id_lookup/hash_table/table_init")]);
        var r = model.Session.Run([g.GetTensor(Probability + ":0"), g.GetTensor(names + ":0"), g.GetTensor("dnn/head/weighted_loss/Sum:0")], feeds);
        var p = r[0].ToArray<float>();
        double loss = 0;
        for (int i = 0; i < Batch; i++) loss -= Math.Log(labels[(start + i) % labels.Length] == 1 ? p[i] : 1 - p[i]);
        Assert.That(r[2].ToArray<float>().Single(), Is.EqualTo(loss).Within(1e-4 * loss));
        Assert.That(r[1].ValueEquals(Tensor.Create(p.Select(v => v > 0.5 ? "L" : "W").ToArray(), Batch, 1)), Is.True);

        var args = new List<string> { "run", Path.Combine(ModelDir, "graph.pbtxt"), "--checkpoint", ModelDir };
        var zeros = Path.Combine(_tmp, "zeros.npy");
        Npy.Write(zeros, Tensor.FromArray(new double[Batch]));
        for (int f = 0; f < Features.Length; f++) args.AddRange(["--feed", $"{FeedName(f)}=@{zeros}"]);
        args.AddRange(["--fetch", names]);
        var (code, _, err) = Run([.. args]);
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(err, Does.Contain("Table not initialized.").And.Contain(names));
    }
}
