using TensorGraph.Estimator;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;
using TfEstimator = TensorGraph.Estimator.Estimator;

namespace TensorGraph.Keras.Tests;

/// <summary>
/// tf.estimator end to end on small synthetic problems: the model_dir TF writes (checkpoints, state
/// file, graph, events) read back with the project's readers, training values against gradient
/// descent written out on the host, resuming, evaluation and prediction against host
/// computations from the checkpointed weights, numpy_input_fn's batching, and SavedModel export.
/// </summary>
public class EstimatorTests
{
    private const double Lr = 0.1;
    private string _dir = "";
    private readonly List<string> _log = [];

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tg-estimator-" + Guid.NewGuid().ToString("N"));
        _log.Clear();
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string ModelDir(string name = "model") => Path.Combine(_dir, name);

    private TfEstimator NewEstimator(ModelFn fn, string dir, RunConfig? config = null, Dictionary<string, object>? parameters = null) =>
        new(fn, dir, config, parameters) { Logger = _log.Add };

    // ---- regression data and model: y = 2 x0 - 3 x1 + 1 on 10 points ----

    private const int N = 10;

    private static float[,] RegressionX()
    {
        var x = new float[N, 2];
        for (int i = 0; i < N; i++)
        {
            x[i, 0] = i / 10f;
            x[i, 1] = (i * 7 % 5) / 5f - 0.4f;
        }
        return x;
    }

    private static float[] RegressionY(float[,] x) => Enumerable.Range(0, N).Select(i => 2 * x[i, 0] - 3 * x[i, 1] + 1).ToArray();

    private static Tensor Matrix(float[,] m) => Tensor.Create(m.Cast<float>().ToArray(), m.GetLength(0), m.GetLength(1));

    private static Tensor Column(float[] v) => Tensor.Create(v, v.Length, 1);

    /// <summary>Full-batch, ordered input repeating forever: every step sees the same 10 rows.</summary>
    private static InputFn RegressionInput(int batchSize = N, long? epochs = null) =>
        NumpyIo.NumpyInputFn(new Dictionary<string, Tensor> { ["x"] = Matrix(RegressionX()) }, Column(RegressionY(RegressionX())), batchSize, epochs, shuffle: false);

    /// <summary>A linear model w (2×1), b (1), zeros at the start; mean squared error; plain gradient descent.</summary>
    private static EstimatorSpec Linear(TensorDict features, Output? labels, string mode, IReadOnlyDictionary<string, object> p)
    {
        var x = features["x"];
        var g = x.Op.Graph;
        var w = g.GetVariable("w", new Shape(2, 1), initializer: new TensorGraph.Initializers.Zeros());
        var b = g.GetVariable("b", new Shape(1), initializer: new TensorGraph.Initializers.Zeros());
        var pred = g.Add(g.MatMul(x, w), b, name: "prediction");
        if (mode == ModeKeys.Predict) return new EstimatorSpec(mode, predictions: pred);
        var loss = g.ReduceMean(g.SquaredDifference(pred, labels!.Value));
        if (p.ContainsKey("nan")) loss = g.Multiply(loss, g.Constant(float.NaN));
        if (mode == ModeKeys.Eval)
            return new EstimatorSpec(mode, loss: loss, evalMetricOps: new Dictionary<string, (Output, Output)> { ["mean_prediction"] = TensorGraph.Metrics.Mean(pred) });
        var train = new GradientDescentOptimizer(Lr).Minimize(loss, g.GetGlobalStep());
        return new EstimatorSpec(mode, loss: loss, trainOp: train);
    }

    /// <summary>Gradient descent on the mean squared error, in doubles: the weights after each step and the loss each step saw.</summary>
    private static (double[] W, double B, double[] Losses) HostDescent(int steps)
    {
        var x = RegressionX();
        var y = RegressionY(x);
        double[] w = [0, 0];
        double b = 0;
        var losses = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            double g0 = 0, g1 = 0, gb = 0, loss = 0;
            for (int i = 0; i < N; i++)
            {
                double r = x[i, 0] * w[0] + x[i, 1] * w[1] + b - y[i];
                loss += r * r / N;
                g0 += 2 * r * x[i, 0] / N;
                g1 += 2 * r * x[i, 1] / N;
                gb += 2 * r / N;
            }
            losses[s] = loss;
            w[0] -= Lr * g0;
            w[1] -= Lr * g1;
            b -= Lr * gb;
        }
        return (w, b, losses);
    }

    private static void AssertWeights(CheckpointReader r, int steps)
    {
        var (w, b, _) = HostDescent(steps);
        Assert.That(r.GetTensor("w").ToArray<float>(), Is.EqualTo(new[] { (float)w[0], (float)w[1] }).Within(1e-5), $"w after {steps} steps");
        Assert.That(r.GetTensor("b").ToArray<float>()[0], Is.EqualTo(b).Within(1e-5), $"b after {steps} steps");
        Assert.That(r.GetTensor(GraphKeys.GlobalStep).Scalar<long>(), Is.EqualTo(steps));
    }

    private static IEnumerable<Event> Events(string dir) =>
        Directory.GetFiles(dir, "events.out.tfevents.*").Order(StringComparer.Ordinal).SelectMany(EventFileReader.ReadEvents).ToArray();

    private static Dictionary<long, float> Scalars(IEnumerable<Event> events, string tag) =>
        events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Where(v => v.Tag == tag).Select(v => (e.Step, v.SimpleValue)))
            .ToDictionary(p => p.Step, p => p.SimpleValue);

    // ---- training ----

    [Test]
    public void TrainWritesTheModelDirAsTensorFlowDoes()
    {
        var dir = ModelDir();
        var est = NewEstimator(Linear, dir, new RunConfig(saveSummarySteps: 1, saveCheckpointsSteps: 2, logStepCountSteps: 2));
        Assert.That(est.Train(RegressionInput(), steps: 5), Is.SameAs(est));

        // Checkpoints at the start (0), every 2 steps, and at the end; each with its .meta.
        Assert.That(Saver.AllCheckpointPaths(dir), Is.EqualTo(new[] { "model.ckpt-0", "model.ckpt-2", "model.ckpt-4", "model.ckpt-5" }));
        Assert.That(Saver.LatestCheckpoint(dir), Is.EqualTo(Path.Combine(dir, "model.ckpt-5")));
        Assert.That(est.LatestCheckpoint(), Is.EqualTo(Path.Combine(dir, "model.ckpt-5")));
        foreach (var n in new[] { 0, 2, 4, 5 })
        {
            var prefix = Path.Combine(dir, $"model.ckpt-{n}");
            Assert.That(File.Exists(prefix + ".index") && File.Exists(prefix + ".data-00000-of-00001"), $"checkpoint {n}");
            using var r = new CheckpointReader(prefix);
            AssertWeights(r, n);
            var meta = MetaGraphs.Read(prefix + ".meta");
            Assert.That(meta.GraphDef.Node.Select(x => x.Name), Does.Contain("w").And.Contain("global_step").And.Contain("GradientDescent"));
        }
        Assert.That(est.GetVariableNames(), Is.EquivalentTo(new[] { "b", "global_step", "w" }));
        Assert.That(est.GetVariableValue("b").ToArray<float>()[0], Is.EqualTo(HostDescent(5).B).Within(1e-5));

        // graph.pbtxt is a text GraphDef that imports.
        var gd = ProtoFiles.Read<GraphDef>(Path.Combine(dir, "graph.pbtxt"));
        var imported = Graph.FromGraphDef(gd);
        Assert.That(imported.GetOperation("prediction").Type, Is.EqualTo("AddV2").Or.EqualTo("Add"));
        Assert.That(imported.GetOperation("global_step").Type, Is.EqualTo("VariableV2"));

        // Events: the loss of every step (the loss before that step's update) at the step reached,
        // global_step/sec every 2 steps, the graph, the meta graph, START and CHECKPOINT logs.
        var events = Events(dir).ToArray();
        Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"));
        var losses = Scalars(events, "loss");
        var host = HostDescent(5).Losses;
        Assert.That(losses.Keys, Is.EquivalentTo(new long[] { 1, 2, 3, 4, 5 }));
        for (int s = 1; s <= 5; s++) Assert.That(losses[s], Is.EqualTo(host[s - 1]).Within(1e-5 + 1e-5 * host[s - 1]), $"loss at step {s}");
        Assert.That(Scalars(events, "global_step/sec").Keys, Is.EquivalentTo(new long[] { 3, 5 }));
        Assert.That(events.Count(e => e.GraphDef.Length > 0), Is.EqualTo(1));
        Assert.That(MetaGraphDef.Parser.ParseFrom(events.Single(e => e.MetaGraphDef.Length > 0).MetaGraphDef).GraphDef.Node.Any(x => x.Name == "w"));
        Assert.That(events.Where(e => e.SessionLog?.Status == SessionLog.Types.SessionStatus.Start).Select(e => e.Step), Is.EqualTo(new long[] { 1 }));
        Assert.That(events.Where(e => e.SessionLog?.Status == SessionLog.Types.SessionStatus.Checkpoint).Select(e => e.Step), Is.EqualTo(new long[] { 0, 2, 4, 5 }));

        Assert.That(_log, Does.Contain($"Saving checkpoints for 0 into {Path.Combine(dir, "model.ckpt")}."));
        Assert.That(_log.Count(l => l.StartsWith("loss = ", StringComparison.Ordinal)), Is.EqualTo(3), "logged every 2 iterations: 1st, 3rd, 5th");
        Assert.That(_log.Last(), Does.StartWith("Loss for final step: "));
    }

    [Test]
    public void SecondTrainResumesFromTheLatestCheckpoint()
    {
        var split = NewEstimator(Linear, ModelDir("split"));
        split.Train(RegressionInput(), steps: 3);
        split.Train(RegressionInput(), steps: 4);
        var whole = NewEstimator(Linear, ModelDir("whole"));
        whole.Train(RegressionInput(), steps: 7);

        Assert.That(_log, Does.Contain($"Restoring parameters from {Path.Combine(ModelDir("split"), "model.ckpt-3")}"));
        using (var r = new CheckpointReader(split.LatestCheckpoint()!)) AssertWeights(r, 7);
        using (var r = new CheckpointReader(whole.LatestCheckpoint()!)) AssertWeights(r, 7);
        Assert.That(split.GetVariableValue("w").ToArray<float>(), Is.EqualTo(whole.GetVariableValue("w").ToArray<float>()));
        // The second run saves its starting step again, as CheckpointSaverHook does, and keeps the earlier ones.
        Assert.That(Saver.AllCheckpointPaths(ModelDir("split")), Is.EqualTo(new[] { "model.ckpt-0", "model.ckpt-3", "model.ckpt-7" }));
        // With save_summary_steps 100 each run writes the loss of its first step: 1, then 4.
        var steps = Scalars(Events(ModelDir("split")), "loss").Keys;
        Assert.That(steps, Is.EquivalentTo(new long[] { 1, 4 }));
    }

    [Test]
    public void ResumedTrainingCountsEarlierCheckpointsAgainstKeepMax()
    {
        var dir = ModelDir();
        var config = new RunConfig(saveCheckpointsSteps: 1, keepCheckpointMax: 2);
        NewEstimator(Linear, dir, config).Train(RegressionInput(), steps: 4);
        Assert.That(Saver.AllCheckpointPaths(dir), Is.EqualTo(new[] { "model.ckpt-3", "model.ckpt-4" }));
        Assert.That(File.Exists(Path.Combine(dir, "model.ckpt-2.index")), Is.False);
        NewEstimator(Linear, dir, config).Train(RegressionInput(), steps: 2);
        Assert.That(Saver.AllCheckpointPaths(dir), Is.EqualTo(new[] { "model.ckpt-5", "model.ckpt-6" }));
        // The first run's files are deleted by the second, which recovered them from the state file.
        Assert.That(File.Exists(Path.Combine(dir, "model.ckpt-3.index")), Is.False);
        Assert.That(File.Exists(Path.Combine(dir, "model.ckpt-4.index")), Is.False);
        Assert.That(File.Exists(Path.Combine(dir, "model.ckpt-6.meta")));
    }

    [Test]
    public void MaxStepsStopsAtTheGlobalStepAndSkipsWhenReached()
    {
        var dir = ModelDir();
        var est = NewEstimator(Linear, dir);
        est.Train(RegressionInput(), maxSteps: 3);
        Assert.That(est.GetVariableValue(GraphKeys.GlobalStep).Scalar<long>(), Is.EqualTo(3));
        var files = Directory.GetFiles(dir).Length;
        _log.Clear();
        est.Train(RegressionInput(), maxSteps: 3);
        Assert.That(_log, Is.EqualTo(new[] { "Skipping training since max_steps has already saved." }));
        Assert.That(Directory.GetFiles(dir).Length, Is.EqualTo(files), "nothing written when skipped");
        est.Train(RegressionInput(), maxSteps: 5);
        using var r = new CheckpointReader(est.LatestCheckpoint()!);
        AssertWeights(r, 5);
    }

    [Test]
    public void TrainRefusesBadStepArgumentsAsTensorFlow()
    {
        var est = NewEstimator(Linear, ModelDir());
        Assert.That(() => est.Train(RegressionInput(), steps: 2, maxSteps: 3), Throws.ArgumentException.With.Message.EqualTo("Can not provide both steps and max_steps."));
        Assert.That(() => est.Train(RegressionInput(), steps: 0), Throws.ArgumentException.With.Message.EqualTo("Must specify steps > 0, given: 0"));
        Assert.That(() => est.Train(RegressionInput(), maxSteps: -1), Throws.ArgumentException.With.Message.EqualTo("Must specify max_steps > 0, given: -1"));
        Assert.That(Directory.Exists(ModelDir()), Is.False, "nothing written");
    }

    [Test]
    public void NanLossStopsTrainingWithoutACheckpointOfTheBadStep()
    {
        var est = NewEstimator(Linear, ModelDir(), parameters: new() { ["nan"] = true });
        Assert.That(() => est.Train(RegressionInput(), steps: 5), Throws.TypeOf<NanLossDuringTrainingException>().With.Message.EqualTo("NaN loss during training."));
        Assert.That(Saver.AllCheckpointPaths(ModelDir()), Is.EqualTo(new[] { "model.ckpt-0" }));
    }

    [Test]
    public void AFloat64LossTrainsAndIsLoggedAsTensorFlowPrintsIt()
    {
        EstimatorSpec Fn(TensorDict f, Output? l, string m, IReadOnlyDictionary<string, object> p)
        {
            var spec = Linear(f, l, m, p);
            var g = spec.Loss!.Value.Op.Graph;
            return new EstimatorSpec(m, loss: g.Cast(spec.Loss.Value, DType.Float64), trainOp: spec.TrainOp);
        }
        var est = NewEstimator(Fn, ModelDir(), new RunConfig(logStepCountSteps: 1));
        est.Train(RegressionInput(), steps: 2);
        using (var r = new CheckpointReader(est.LatestCheckpoint()!)) AssertWeights(r, 2);
        var line = _log.Single(l => l.StartsWith("loss = ", StringComparison.Ordinal) && l.EndsWith(", step = 1", StringComparison.Ordinal));
        var logged = double.Parse(line["loss = ".Length..line.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(logged, Is.EqualTo(HostDescent(1).Losses[0]).Within(1e-5));
        Assert.That(_log.Last(), Does.StartWith("Loss for final step: ").And.Not.EndWith("None."));
    }

    [Test]
    public void TheEndOfTheInputEndsTraining()
    {
        // 10 rows, batches of 4, 2 epochs: 20 rows = 5 batches; then OutOfRange ends training at step 5.
        var est = NewEstimator(Linear, ModelDir());
        est.Train(RegressionInput(batchSize: 4, epochs: 2));
        Assert.That(est.GetVariableValue(GraphKeys.GlobalStep).Scalar<long>(), Is.EqualTo(5));
        Assert.That(Saver.AllCheckpointPaths(ModelDir()), Is.EqualTo(new[] { "model.ckpt-0", "model.ckpt-5" }));
        // With steps beyond the input, the input still ends it: 1 epoch of batches 4, 4, 2.
        var other = NewEstimator(Linear, ModelDir("other"));
        other.Train(RegressionInput(batchSize: 4, epochs: 1), steps: 100);
        Assert.That(other.GetVariableValue(GraphKeys.GlobalStep).Scalar<long>(), Is.EqualTo(3));
    }

    [Test]
    public void ModelDirComesFromTheConstructorOrTheConfig()
    {
        var fromConfig = new TfEstimator(Linear, config: new RunConfig(modelDir: ModelDir("a")));
        Assert.That(fromConfig.ModelDir, Is.EqualTo(ModelDir("a")));
        Assert.That(fromConfig.Config.ModelDir, Is.EqualTo(ModelDir("a")));
        Assert.That(() => new TfEstimator(Linear, ModelDir("b"), new RunConfig(modelDir: ModelDir("a"))), Throws.ArgumentException.With.Message.Contains("model_dir are set both"));
        var stderr = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        TfEstimator temp;
        try
        {
            temp = new TfEstimator(Linear);
        }
        finally
        {
            Console.SetError(stderr);
        }
        try
        {
            Assert.That(Directory.Exists(temp.ModelDir));
            Assert.That(captured.ToString(), Is.EqualTo($"INFO:tensorflow:Using temporary folder as model directory: {temp.ModelDir}{Environment.NewLine}"));
        }
        finally
        {
            Directory.Delete(temp.ModelDir, recursive: true);
        }
    }

    // ---- classification: evaluation and prediction ----

    private static readonly float[,] ClassX =
    {
        { 0.1f, 0.2f }, { -0.3f, 0.1f }, { 0.2f, -0.2f }, { 1.2f, 0.4f },
        { 2.1f, 0.1f }, { 1.8f, -0.3f }, { 2.3f, 0.4f }, { 0.9f, 0.8f },
        { 0.1f, 2.2f }, { -0.2f, 1.7f }, { 0.4f, 1.9f }, { 0.7f, 0.6f },
    };

    // Rows 3, 7 and 11 sit between the clusters with labels the other way, so the fit is imperfect.
    private static readonly long[] ClassY = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 1];

    private static EstimatorSpec Softmax(TensorDict features, Output? labels, string mode, IReadOnlyDictionary<string, object> p)
    {
        var x = features["x"];
        var g = x.Op.Graph;
        var w = g.GetVariable("w", new Shape(2, 3), initializer: new TensorGraph.Initializers.Zeros());
        var b = g.GetVariable("b", new Shape(3), initializer: new TensorGraph.Initializers.Zeros());
        var logits = g.Add(g.MatMul(x, w), b, name: "logits");
        var classes = g.ArgMax(logits, 1, name: "class_ids");
        if (mode == ModeKeys.Predict)
            return new EstimatorSpec(mode, predictions: new Dictionary<string, Output> { ["class_ids"] = classes, ["probabilities"] = g.Softmax(logits) });
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(labels!.Value, logits));
        if (mode == ModeKeys.Eval)
            return new EstimatorSpec(mode, loss: loss, evalMetricOps: new Dictionary<string, (Output, Output)> { ["accuracy"] = TensorGraph.Metrics.Accuracy(labels.Value, classes) });
        return new EstimatorSpec(mode, loss: loss, trainOp: new GradientDescentOptimizer(0.5).Minimize(loss, g.GetGlobalStep()));
    }

    private static InputFn ClassInput(int batchSize, long? epochs, bool labels = true) =>
        NumpyIo.NumpyInputFn(new Dictionary<string, Tensor> { ["x"] = Matrix(ClassX) }, labels ? Tensor.Create(ClassY, ClassY.Length) : null, batchSize, epochs, shuffle: false);

    /// <summary>Logits of every row from the checkpointed weights, computed on the host.</summary>
    private static double[][] HostLogits(TfEstimator est)
    {
        var w = est.GetVariableValue("w").ToArray<float>();
        var b = est.GetVariableValue("b").ToArray<float>();
        return Enumerable.Range(0, ClassY.Length).Select(i => Enumerable.Range(0, 3).Select(c => (double)ClassX[i, 0] * w[c] + ClassX[i, 1] * w[3 + c] + b[c]).ToArray()).ToArray();
    }

    private static int ArgMax(double[] v) => Array.IndexOf(v, v.Max());

    private static double CrossEntropy(double[] z, long label)
    {
        double m = z.Max();
        return m + Math.Log(z.Sum(v => Math.Exp(v - m))) - z[label];
    }

    private TfEstimator TrainedClassifier(string name = "model")
    {
        var est = NewEstimator(Softmax, ModelDir(name));
        est.Train(ClassInput(ClassY.Length, null), steps: 30);
        return est;
    }

    [Test]
    public void EvaluateReturnsLossGlobalStepAndMetricsAsComputedFromTheWeights()
    {
        var est = TrainedClassifier();
        var z = HostLogits(est);
        var correct = Enumerable.Range(0, ClassY.Length).Select(i => ArgMax(z[i]) == ClassY[i]).ToArray();
        Assert.That(correct.Count(c => c), Is.InRange(6, 11), "the problem is learnable but not perfectly");

        // Batches of 5, 5, 2: the loss is the mean of the three batch means, as tf.metrics.mean(loss) makes it.
        var result = est.Evaluate(ClassInput(5, 1));
        Assert.That(result.Keys, Is.EqualTo(new[] { "accuracy", "global_step", "loss" }));
        double BatchLoss(int from, int to) => Enumerable.Range(from, to - from).Average(i => CrossEntropy(z[i], ClassY[i]));
        double loss = (BatchLoss(0, 5) + BatchLoss(5, 10) + BatchLoss(10, 12)) / 3;
        Assert.That(result["loss"].Scalar<float>(), Is.EqualTo(loss).Within(1e-5));
        Assert.That(result["accuracy"].Scalar<float>(), Is.EqualTo(correct.Count(c => c) / 12.0).Within(1e-6));
        Assert.That(result["global_step"].Scalar<long>(), Is.EqualTo(30));

        // Summaries under eval/ at the global step, with the checkpoint's path.
        Assert.That(est.EvalDir(), Is.EqualTo(Path.Combine(ModelDir(), "eval")));
        var events = Events(est.EvalDir());
        Assert.That(Scalars(events, "loss")[30], Is.EqualTo(result["loss"].Scalar<float>()));
        Assert.That(Scalars(events, "accuracy")[30], Is.EqualTo(result["accuracy"].Scalar<float>()));
        Assert.That(Scalars(events, "global_step"), Is.Empty);
        var path = events.SelectMany(e => e.Summary?.Value ?? []).Single(v => v.Tag == "checkpoint_path");
        Assert.That(path.Tensor.StringVal[0].ToStringUtf8(), Is.EqualTo(Path.Combine(ModelDir(), "model.ckpt-30")));

        // steps limits the batches; name picks the folder.
        var two = est.Evaluate(ClassInput(5, 1), steps: 2, name: "head");
        Assert.That(two["loss"].Scalar<float>(), Is.EqualTo((BatchLoss(0, 5) + BatchLoss(5, 10)) / 2).Within(1e-5));
        Assert.That(two["accuracy"].Scalar<float>(), Is.EqualTo(correct.Take(10).Count(c => c) / 10.0).Within(1e-6));
        Assert.That(Scalars(Events(est.EvalDir("head")), "loss")[30], Is.EqualTo(two["loss"].Scalar<float>()));
    }

    [Test]
    public void EvaluateWithoutACheckpointUsesTheInitialVariables()
    {
        var est = NewEstimator(Softmax, ModelDir());
        var result = est.Evaluate(ClassInput(12, 1));
        // Zero weights: uniform probabilities (loss ln 3) and class 0 everywhere.
        Assert.That(result["loss"].Scalar<float>(), Is.EqualTo(Math.Log(3)).Within(1e-6));
        Assert.That(result["accuracy"].Scalar<float>(), Is.EqualTo(ClassY.Count(y => y == 0) / 12.0).Within(1e-6));
        Assert.That(result["global_step"].Scalar<long>(), Is.EqualTo(0));
        Assert.That(_log, Does.Contain($"Could not find trained model in model_dir: {ModelDir()}, running initialization to evaluate."));
    }

    [Test]
    public void EvalSummariesFollowTheTypesOfTheValues()
    {
        EstimatorSpec Fn(TensorDict f, Output? l, string m, IReadOnlyDictionary<string, object> p)
        {
            var spec = Linear(f, l, m, p);
            if (m != ModeKeys.Eval) return spec;
            var g = spec.Loss!.Value.Op.Graph;
            var vector = g.Constant(Tensor.Create(new float[] { 1.5f, -2 }, 2));
            var count = g.Constant(7L);
            var flag = g.Constant(true);
            return new EstimatorSpec(m, loss: spec.Loss, evalMetricOps: new Dictionary<string, (Output, Output)>
            {
                ["vector"] = (vector, vector), ["count"] = (count, count), ["flag"] = (flag, flag),
            });
        }
        var est = NewEstimator(Fn, ModelDir());
        var result = est.Evaluate(RegressionInput(epochs: 1));
        Assert.That(result.Keys, Is.EqualTo(new[] { "count", "flag", "global_step", "loss", "vector" }));
        var values = Events(est.EvalDir()).Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value).ToDictionary(v => v.Tag);
        Assert.That(values.Keys, Is.EquivalentTo(new[] { "count", "loss", "vector" }), "bools are skipped with a warning, global_step is the event's step");
        Assert.That(values["count"].SimpleValue, Is.EqualTo(7f));
        Assert.That(values["vector"].NodeName, Is.EqualTo("vector"));
        Assert.That(TensorProtos.FromProto(values["vector"].Tensor).ToArray<float>(), Is.EqualTo(new[] { 1.5f, -2f }));
        Assert.That(_log, Has.Some.StartsWith("WARNING: Skipping summary for flag"));
        Assert.That(_log, Has.Some.StartsWith("Saving dict for global step 0: count = 7, flag = "));
    }

    [Test]
    public void EvaluateRefusesReservedMetricNames()
    {
        foreach (var reserved in new[] { "loss", "global_step" })
        {
            EstimatorSpec Fn(TensorDict f, Output? l, string m, IReadOnlyDictionary<string, object> p)
            {
                var spec = Linear(f, l, m, p);
                if (m != ModeKeys.Eval) return spec;
                var mean = TensorGraph.Metrics.Mean(spec.Loss!.Value, name: "other");
                return new EstimatorSpec(m, loss: spec.Loss, evalMetricOps: new Dictionary<string, (Output, Output)> { [reserved] = mean });
            }
            var est = NewEstimator(Fn, ModelDir(reserved));
            Assert.That(() => est.Evaluate(RegressionInput(epochs: 1)), Throws.ArgumentException.With.Message.Contains($"Metric with name {(reserved == "loss" ? "\"loss\"" : "`global_step`")} is not allowed"));
        }
    }

    [Test]
    public void PredictYieldsOneDictionaryPerExample()
    {
        var est = TrainedClassifier();
        var z = HostLogits(est);
        var preds = est.Predict(ClassInput(5, 1, labels: false)).ToArray();
        Assert.That(preds, Has.Length.EqualTo(12), "batches 5, 5, 2 split into rows");
        for (int i = 0; i < 12; i++)
        {
            Assert.That(preds[i].Keys, Is.EquivalentTo(new[] { "class_ids", "probabilities" }));
            Assert.That(preds[i]["class_ids"].Rank, Is.EqualTo(0));
            Assert.That(preds[i]["class_ids"].Scalar<long>(), Is.EqualTo(ArgMax(z[i])));
            double m = z[i].Max(), sum = z[i].Sum(v => Math.Exp(v - m));
            Assert.That(preds[i]["probabilities"].Dims.ToArray(), Is.EqualTo(new[] { 3 }));
            Assert.That(preds[i]["probabilities"].ToArray<float>(), Is.EqualTo(z[i].Select(v => Math.Exp(v - m) / sum).ToArray()).Within(1e-6));
        }

        // predict_keys keeps only the keys asked for; unknown ones are ignored, none known is TF's ValueError.
        var only = est.Predict(ClassInput(5, 1, labels: false), predictKeys: ["class_ids", "logits"]).ToArray();
        Assert.That(only.Select(d => d.Keys.Single()), Is.All.EqualTo("class_ids"));
        Assert.That(only.Select(d => d["class_ids"].Scalar<long>()), Is.EqualTo(preds.Select(d => d["class_ids"].Scalar<long>())));
        Assert.That(() => est.Predict(ClassInput(5, 1, labels: false), predictKeys: ["logits"]).ToArray(),
            Throws.ArgumentException.With.Message.StartsWith("Expected to run at least one output from [class_ids, probabilities], provided [logits]."));
        // Whole batches on request: 5, 5, 2 rows.
        var whole = est.Predict(ClassInput(5, 1, labels: false), yieldSingleExamples: false).ToArray();
        Assert.That(whole.Select(d => d["probabilities"].Dims.ToArray()), Is.EqualTo(new[] { new[] { 5, 3 }, [5, 3], [2, 3] }));
        Assert.That(whole.SelectMany(d => d["class_ids"].ToArray<long>()), Is.EqualTo(preds.Select(d => d["class_ids"].Scalar<long>())));
        // Labels from the input are ignored in PREDICT.
        Assert.That(est.Predict(ClassInput(12, 1)).Count(), Is.EqualTo(12));
        // A single-tensor model asked for dictionaries is refused.
        Assert.That(() => NewEstimator(Linear, ModelDir("linear")).Predict(RegressionInput(epochs: 1)).ToArray(), Throws.InvalidOperationException);
    }

    [Test]
    public void PredictTensorsYieldsTheRowsOfASingleTensorPrediction()
    {
        var est = NewEstimator(Linear, ModelDir());
        // With no checkpoint TF 1.15 predicts from the initial variables: all zeros here.
        var initial = est.PredictTensors(RegressionInput(batchSize: 4, epochs: 1)).ToArray();
        Assert.That(initial.Select(t => t.ToArray<float>().Single()), Is.EqualTo(Enumerable.Repeat(0f, N)));
        Assert.That(_log, Does.Contain($"Could not find trained model in model_dir: {ModelDir()}, running initialization to predict."));

        est.Train(RegressionInput(), steps: 6);
        var (w, b, _) = HostDescent(6);
        var x = RegressionX();
        var rows = est.PredictTensors(RegressionInput(batchSize: 4, epochs: 1)).ToArray();
        Assert.That(rows, Has.Length.EqualTo(N));
        for (int i = 0; i < N; i++)
        {
            Assert.That(rows[i].Dims.ToArray(), Is.EqualTo(new[] { 1 }));
            Assert.That(rows[i].ToArray<float>()[0], Is.EqualTo(x[i, 0] * w[0] + x[i, 1] * w[1] + b).Within(1e-5));
        }
        // Features that are plain tensors never end: TF warns, and a caller takes what it needs.
        _log.Clear();
        var constant = est.PredictTensors(g => new InputFnResult(new Dictionary<string, Output> { ["x"] = g.Constant(Tensor.Create(new float[] { 1, 2 }, 1, 2)) })).Take(3).ToArray();
        Assert.That(constant.Select(t => t.ToArray<float>()[0]), Is.All.EqualTo((float)(w[0] + 2 * w[1] + b)).Within(1e-5));
        Assert.That(_log, Has.Some.StartsWith("WARNING: Input graph does not use tf.data.Dataset"));
        // An earlier checkpoint by path.
        var first = est.PredictTensors(RegressionInput(epochs: 1), checkpointPath: Path.Combine(ModelDir(), "model.ckpt-0")).ToArray();
        Assert.That(first.Select(t => t.ToArray<float>().Single()), Is.All.EqualTo(0f));
        // A dictionary model asked for tensors is refused.
        Assert.That(() => TrainedClassifier("classifier").PredictTensors(ClassInput(4, 1, labels: false)).ToArray(), Throws.InvalidOperationException);
    }

    // ---- numpy_input_fn ----

    /// <summary>Runs an input function in a graph of its own until the input ends (or <paramref name="max"/> batches): (features, labels) per batch.</summary>
    private static List<(Dictionary<string, Tensor> Features, Tensor? Labels)> Batches(InputFn fn, int max = 100, int? seed = null)
    {
        var g = new Graph { Seed = seed };
        var input = fn(g);
        using var s = new Session(g);
        if (input.Initializer is { } init) s.Run([init], input.InitializerFeeds);
        var pairs = input.Features.Pairs.ToArray();
        Output[] fetches = [.. pairs.Select(p => p.Value), .. input.Labels is { } l ? [l] : Array.Empty<Output>()];
        var batches = new List<(Dictionary<string, Tensor>, Tensor?)>();
        while (batches.Count < max)
        {
            Tensor?[] r;
            try
            {
                r = s.Run(fetches.Select(f => (Fetch)f).ToArray());
            }
            catch (OutOfRangeException)
            {
                break;
            }
            var f = new Dictionary<string, Tensor>();
            for (int i = 0; i < pairs.Length; i++) f[pairs[i].Key] = r[i]!;
            batches.Add((f, input.Labels is null ? null : r[^1]));
        }
        return batches;
    }

    [Test]
    public void NumpyInputFnBatchesThroughTheEpochsWithAPartialLastBatch()
    {
        var x = Tensor.Create(new float[] { 0, 1, 2, 3, 4 }, 5);
        var y = Tensor.Create(new long[] { 10, 11, 12, 13, 14 }, 5);
        var batches = Batches(NumpyIo.NumpyInputFn(x, y, batchSize: 2, numEpochs: 2, shuffle: false));
        // Epochs follow one another inside batches; only the very last batch is partial.
        Assert.That(batches.Select(b => b.Features[""].ToArray<float>()), Is.EqualTo(new[] { new float[] { 0, 1 }, [2, 3], [4, 0], [1, 2], [3, 4] }));
        Assert.That(batches.Select(b => b.Labels!.ToArray<long>()), Is.EqualTo(new[] { new long[] { 10, 11 }, [12, 13], [14, 10], [11, 12], [13, 14] }));
        // One epoch: 2, 2, 1.
        Assert.That(Batches(NumpyIo.NumpyInputFn(x, y, batchSize: 2, shuffle: false)).Select(b => b.Features[""].Size), Is.EqualTo(new[] { 2, 2, 1 }));
        // Forever: always full batches.
        var forever = Batches(NumpyIo.NumpyInputFn(x, batchSize: 3, numEpochs: null, shuffle: false), max: 4);
        Assert.That(forever.Select(b => b.Features[""].ToArray<float>()), Is.EqualTo(new[] { new float[] { 0, 1, 2 }, [3, 4, 0], [1, 2, 3], [4, 0, 1] }));
        Assert.That(forever.All(b => b.Labels is null));
    }

    [Test]
    public void NumpyInputFnGivesADictionaryOfFeaturesForADictionary()
    {
        var x = new Dictionary<string, Tensor>
        {
            ["height"] = Tensor.Create(new float[] { 32, 33, 34, 35 }, 4),
            ["age"] = Tensor.Create(new float[] { 0, 1, 2, 3, 10, 11, 12, 13 }, 4, 2),
        };
        var batches = Batches(NumpyIo.NumpyInputFn(x, Tensor.Create(new int[] { -32, -31, -30, -29 }, 4), batchSize: 3, shuffle: false));
        Assert.That(batches, Has.Count.EqualTo(2));
        Assert.That(batches[0].Features.Keys, Is.EquivalentTo(new[] { "age", "height" }));
        Assert.That(batches[0].Features["age"].Dims.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(batches[0].Features["age"].ToArray<float>(), Is.EqualTo(new float[] { 0, 1, 2, 3, 10, 11 }));
        Assert.That(batches[1].Features["height"].ToArray<float>(), Is.EqualTo(new float[] { 35 }));
        Assert.That(batches[1].Labels!.ToArray<int>(), Is.EqualTo(new[] { -29 }));
    }

    [Test]
    public void NumpyInputFnShufflesEachEpochWithTheGraphSeed()
    {
        var x = Tensor.Create(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), 20);
        var fn = NumpyIo.NumpyInputFn(x, x, batchSize: 20, numEpochs: 3, shuffle: true);
        var a = Batches(fn, seed: 7);
        var b = Batches(fn, seed: 7);
        Assert.That(a, Has.Count.EqualTo(3));
        var identity = Enumerable.Range(0, 20).Select(i => (float)i).ToArray();
        foreach (var (features, labels) in a)
        {
            var rows = features[""].ToArray<float>();
            Assert.That(rows.Order(), Is.EqualTo(identity), "each epoch is a permutation");
            Assert.That(labels!.ToArray<float>(), Is.EqualTo(rows), "features and labels stay together");
        }
        Assert.That(a.Select(p => p.Features[""].ToArray<float>()), Is.EqualTo(b.Select(p => p.Features[""].ToArray<float>())), "same seed, same order");
        Assert.That(a.Any(p => !p.Features[""].ToArray<float>().SequenceEqual(identity)), "shuffled");
        Assert.That(a[0].Features[""].ToArray<float>(), Is.Not.EqualTo(a[1].Features[""].ToArray<float>()), "reshuffled each epoch");
    }

    [Test]
    public void NumpyInputFnRefusesWhatTensorFlowRefuses()
    {
        var x = Tensor.Create(new float[] { 1, 2, 3 }, 3);
        Assert.That(() => NumpyIo.NumpyInputFn(x), Throws.ArgumentException.With.Message.EqualTo(
            "shuffle must be provided and explicitly set as boolean (it is recommended to set it as True for training); got None"));
        Assert.That(() => NumpyIo.NumpyInputFn(new Dictionary<string, Tensor>(), shuffle: false), Throws.ArgumentException.With.Message.EqualTo("x cannot be an empty dict"));
        Assert.That(() => NumpyIo.NumpyInputFn(x, Tensor.Create(new float[] { 1, 2 }, 2), shuffle: false),
            Throws.ArgumentException.With.Message.StartsWith("Length of tensors in x and y is mismatched. All elements in x and y must have the same length."));
        Assert.That(() => NumpyIo.NumpyInputFn(Tensor.Create(Array.Empty<float>(), 0), shuffle: false), Throws.ArgumentException.With.Message.EqualTo("x cannot be an empty array"));
    }

    // ---- export ----

    private static Dictionary<string, Tensor> OneExample => new() { ["x"] = Tensor.Create(new float[] { 0, 0 }, 1, 2) };

    [Test]
    public void ExportSavedModelServesThePredictionsOfTheLatestCheckpoint()
    {
        var est = TrainedClassifier();
        var exportBase = Path.Combine(_dir, "export");
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var exported = est.ExportSavedModel(exportBase, ServingInput.BuildRawServingInputReceiverFn(OneExample));
        long after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.That(Path.GetDirectoryName(exported), Is.EqualTo(exportBase));
        Assert.That(long.Parse(Path.GetFileName(exported), System.Globalization.CultureInfo.InvariantCulture), Is.InRange(before, after));
        Assert.That(File.Exists(Path.Combine(exported, "saved_model.pb")));
        Assert.That(File.Exists(Path.Combine(exported, "variables", "variables.index")));
        Assert.That(Directory.GetDirectories(exportBase), Is.EqualTo(new[] { exported }), "no temp- folder left");

        var expected = est.Predict(ClassInput(12, 1, labels: false)).ToArray();
        using var bundle = SavedModelBundle.Load(exported, SavedModelBundle.ServeTag);
        Assert.That(bundle.Tags, Is.EqualTo(new[] { "serve" }));
        Assert.That(bundle.SignatureDefs.Keys, Is.EqualTo(new[] { "serving_default" }));
        var sig = bundle.GetSignature("serving_default");
        Assert.That(sig.MethodName, Is.EqualTo("tensorflow/serving/predict"));
        Assert.That(sig.Inputs.Keys, Is.EqualTo(new[] { "x" }));
        Assert.That(sig.Inputs["x"].Shape.ToArray(), Is.EqualTo(new[] { -1, 2 }));
        Assert.That(sig.Outputs.Keys, Is.EquivalentTo(new[] { "class_ids", "probabilities" }));
        var served = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = Matrix(ClassX) });
        Assert.That(served["class_ids"].ToArray<long>(), Is.EqualTo(expected.Select(p => p["class_ids"].Scalar<long>())));
        Assert.That(served["probabilities"].ToArray<float>(), Is.EqualTo(expected.SelectMany(p => p["probabilities"].ToArray<float>())).Within(1e-7));
        // The restored weights are the checkpoint's.
        Assert.That(bundle.Session.Run(bundle.Graph.GetTensor("w:0")).ToArray<float>(), Is.EqualTo(est.GetVariableValue("w").ToArray<float>()));

        // A second export in the same second gets the next second's folder.
        var second = est.ExportSavedModel(exportBase, ServingInput.BuildRawServingInputReceiverFn(OneExample));
        Assert.That(second, Is.Not.EqualTo(exported));
        Assert.That(long.Parse(Path.GetFileName(second), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(long.Parse(Path.GetFileName(exported), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void ExportUsesTheSpecsExportOutputsAndAnEarlierCheckpoint()
    {
        // One signature of another name is also served as serving_default.
        EstimatorSpec Fn(TensorDict f, Output? l, string m, IReadOnlyDictionary<string, object> p)
        {
            var spec = Linear(f, l, m, p);
            if (m != ModeKeys.Predict) return spec;
            var y = spec.Predictions!.Single!.Value;
            var g = y.Op.Graph;
            return new EstimatorSpec(m, predictions: y, exportOutputs: new Dictionary<string, IReadOnlyDictionary<string, Output>>
            {
                ["regression"] = new Dictionary<string, Output> { ["y"] = y, ["twice"] = g.Multiply(y, g.Constant(2f)) },
            });
        }
        var est = NewEstimator(Fn, ModelDir());
        est.Train(RegressionInput(), steps: 4);
        var exported = est.ExportSavedModel(Path.Combine(_dir, "export"), ServingInput.BuildRawServingInputReceiverFn(new Dictionary<string, (DType, Shape)> { ["x"] = (DType.Float32, new Shape(2)) }),
            assetsExtra: new Dictionary<string, string> { ["notes/readme.txt"] = WriteFile("readme.txt", "hello") },
            checkpointPath: Path.Combine(ModelDir(), "model.ckpt-0"));
        Assert.That(File.ReadAllText(Path.Combine(exported, "assets.extra", "notes", "readme.txt")), Is.EqualTo("hello"));
        using var bundle = SavedModelBundle.Load(exported);
        Assert.That(bundle.SignatureDefs.Keys, Is.EquivalentTo(new[] { "regression", "serving_default" }));
        var x = Matrix(RegressionX());
        // From model.ckpt-0 the weights are zeros.
        Assert.That(bundle.Run("regression", new Dictionary<string, Tensor> { ["x"] = x })["y"].ToArray<float>(), Is.All.EqualTo(0f));

        var latest = est.ExportSavedModel(Path.Combine(_dir, "export"), ServingInput.BuildRawServingInputReceiverFn(OneExample), asText: true);
        Assert.That(File.Exists(Path.Combine(latest, "saved_model.pbtxt")));
        using var b2 = SavedModelBundle.Load(latest);
        var expected = est.PredictTensors(RegressionInput(epochs: 1)).Select(t => t.ToArray<float>()[0]).ToArray();
        var served = b2.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = x });
        Assert.That(served["y"].ToArray<float>(), Is.EqualTo(expected));
        Assert.That(served["twice"].ToArray<float>(), Is.EqualTo(expected.Select(v => 2 * v)));
    }

    private string WriteFile(string name, string text)
    {
        Directory.CreateDirectory(_dir);
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    [Test]
    public void ExportWithAParsingReceiverServesSerializedExamples()
    {
        var est = TrainedClassifier();
        var spec = new Dictionary<string, (Shape, DType, Tensor?)> { ["x"] = (new Shape(2), DType.Float32, null) };
        var exported = est.ExportSavedModel(Path.Combine(_dir, "export"), ServingInput.BuildParsingServingInputReceiverFn(spec));
        using var bundle = SavedModelBundle.Load(exported);
        var sig = bundle.GetSignature("serving_default");
        Assert.That(sig.Inputs.Keys, Is.EqualTo(new[] { "examples" }));
        Assert.That(sig.Inputs["examples"].Name, Is.EqualTo("input_example_tensor:0"));
        var examples = Enumerable.Range(0, ClassY.Length).Select(i =>
        {
            var e = new Example { Features = new Features() };
            var f = new Feature { FloatList = new FloatList() };
            f.FloatList.Value.Add(ClassX[i, 0]);
            f.FloatList.Value.Add(ClassX[i, 1]);
            e.Features.Feature.Add("x", f);
            return Google.Protobuf.MessageExtensions.ToByteArray(e);
        }).ToArray();
        var served = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["examples"] = Tensor.Create(examples, examples.Length) });
        var expected = est.Predict(ClassInput(12, 1, labels: false)).Select(p => p["class_ids"].Scalar<long>()).ToArray();
        Assert.That(served["class_ids"].ToArray<long>(), Is.EqualTo(expected));
    }

    [Test]
    public void ExportWrapsSingleTensorsAndAddsSignaturesPerReceiverAlternative()
    {
        // A model whose features are one tensor, trained on the bare array.
        static EstimatorSpec Bare(TensorDict f, Output? l, string m, IReadOnlyDictionary<string, object> p) =>
            Linear(new Dictionary<string, Output> { ["x"] = f.Single!.Value }, l, m, p);
        var est = NewEstimator(Bare, ModelDir());
        est.Train(NumpyIo.NumpyInputFn(Matrix(RegressionX()), Column(RegressionY(RegressionX())), batchSize: N, numEpochs: null, shuffle: false), steps: 3);
        var exported = est.ExportSavedModel(Path.Combine(_dir, "export"), g =>
        {
            // The server feeds ten times x; the alternative feeds the features themselves, downstream.
            var scaled = g.Placeholder(DType.Float32, new Shape(-1, 2), "x_times_ten");
            var x = g.Multiply(scaled, g.Constant(0.1f));
            return new TensorServingInputReceiver(x, scaled, new Dictionary<string, TensorDict> { ["raw"] = x });
        });
        using var bundle = SavedModelBundle.Load(exported);
        Assert.That(bundle.SignatureDefs.Keys, Is.EquivalentTo(new[] { "serving_default", "raw:serving_default" }));
        Assert.That(bundle.GetSignature("serving_default").Inputs.Keys, Is.EqualTo(new[] { ServingInputReceiver.SingleReceiverKey }));
        var expected = est.PredictTensors(NumpyIo.NumpyInputFn(Matrix(RegressionX()), shuffle: false)).Select(t => t.ToArray<float>()[0]).ToArray();
        var tenfold = new float[N, 2];
        for (int i = 0; i < N; i++) (tenfold[i, 0], tenfold[i, 1]) = (RegressionX()[i, 0] * 10, RegressionX()[i, 1] * 10);
        var served = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["input"] = Matrix(tenfold) });
        Assert.That(served["output"].ToArray<float>(), Is.EqualTo(expected).Within(1e-5));
        var raw = bundle.Run("raw:serving_default", new Dictionary<string, Tensor> { ["input"] = Matrix(RegressionX()) });
        Assert.That(raw["output"].ToArray<float>(), Is.EqualTo(expected));

        // A ServingInputReceiver wraps a single feature tensor under "feature".
        TensorDict? seen = null;
        EstimatorSpec Spy(TensorDict f, Output? l, string m, IReadOnlyDictionary<string, object> p)
        {
            seen = f;
            return Bare(f["feature"], l, m, p);
        }
        NewEstimator(Spy, ModelDir()).ExportSavedModel(Path.Combine(_dir, "export2"), g =>
        {
            var x = g.Placeholder(DType.Float32, new Shape(-1, 2), "x");
            return new ServingInputReceiver(x, new Dictionary<string, Output> { ["x"] = x });
        });
        Assert.That(seen!.IsDictionary);
        Assert.That(seen.Items!.Keys, Is.EqualTo(new[] { ServingInputReceiver.SingleFeatureKey }));
    }

    [Test]
    public void ExportRefusesWhatTensorFlowRefuses()
    {
        var est = NewEstimator(Linear, ModelDir());
        Assert.That(() => est.ExportSavedModel(Path.Combine(_dir, "export"), ServingInput.BuildRawServingInputReceiverFn(OneExample)),
            Throws.InvalidOperationException.With.Message.EqualTo($"Couldn't find trained model at {ModelDir()}."));
        Assert.That(() => est.ExportSavedModel(Path.Combine(_dir, "export"), null!), Throws.ArgumentException.With.Message.EqualTo("An input_receiver_fn must be defined."));

        // A model_fn whose variables the checkpoint lacks.
        est.Train(RegressionInput(), steps: 1);
        EstimatorSpec Bigger(TensorDict f, Output? l, string m, IReadOnlyDictionary<string, object> p)
        {
            var spec = Linear(f, l, m, p);
            f["x"].Op.Graph.GetVariable("extra", new Shape(1), initializer: new TensorGraph.Initializers.Zeros());
            return spec;
        }
        var other = NewEstimator(Bigger, ModelDir());
        Assert.That(() => other.ExportSavedModel(Path.Combine(_dir, "export"), ServingInput.BuildRawServingInputReceiverFn(OneExample)),
            Throws.InvalidOperationException.With.Message.StartsWith("Could not load all requested variables from checkpoint."));
        Assert.That(Directory.Exists(Path.Combine(_dir, "export")) ? Directory.GetFileSystemEntries(Path.Combine(_dir, "export")) : [], Is.Empty, "no folder left behind");

        // Several signatures without serving_default.
        var g = new Graph();
        var t = g.Constant(1f);
        Assert.That(() => new EstimatorSpec(ModeKeys.Predict, predictions: t, exportOutputs: new Dictionary<string, IReadOnlyDictionary<string, Output>>
        {
            ["a"] = new Dictionary<string, Output> { ["o"] = t },
            ["b"] = new Dictionary<string, Output> { ["o"] = t },
        }), Throws.ArgumentException.With.Message.StartsWith("Multiple export_outputs were provided, but none of them is specified as the default."));
    }

    [Test]
    public void EstimatorSpecChecksItsFieldsAsTensorFlow()
    {
        var g = new Graph();
        var scalar = g.Constant(1f);
        Assert.That(() => new EstimatorSpec(ModeKeys.Train, loss: scalar), Throws.ArgumentException.With.Message.EqualTo("Missing train_op."));
        Assert.That(() => new EstimatorSpec(ModeKeys.Eval), Throws.ArgumentException.With.Message.EqualTo("Missing loss."));
        Assert.That(() => new EstimatorSpec(ModeKeys.Predict), Throws.ArgumentException.With.Message.EqualTo("Missing predictions."));
        Assert.That(() => new EstimatorSpec("training"), Throws.ArgumentException.With.Message.StartsWith("mode=training unrecognized."));
        Assert.That(() => new EstimatorSpec(ModeKeys.Eval, loss: g.Constant(Tensor.Create(new float[] { 1, 2 }, 2))), Throws.ArgumentException.With.Message.StartsWith("Loss must be scalar"));
        var one = new EstimatorSpec(ModeKeys.Eval, loss: g.Constant(Tensor.Create(new float[] { 3 }, 1, 1)));
        Assert.That(one.Loss!.Value.Shape.Rank, Is.EqualTo(0), "a one-element loss is reshaped to a scalar");
        var predict = new EstimatorSpec(ModeKeys.Predict, predictions: scalar);
        Assert.That(predict.ExportOutputs.Keys, Is.EqualTo(new[] { "serving_default" }));
        Assert.That(predict.ExportOutputs["serving_default"].Keys, Is.EqualTo(new[] { "output" }));
        var other = new Graph();
        Assert.That(() => new EstimatorSpec(ModeKeys.Eval, predictions: other.Constant(1f), loss: scalar), Throws.ArgumentException.With.Message.Contains("must be from the same graph"));
    }
}
