using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Summaries;
using TensorGraph.Training;

namespace TensorGraph.Estimator;

/// <summary>
/// TF 1.15's <c>tf.estimator.Estimator</c> on one machine: every <see cref="Train"/>,
/// <see cref="Evaluate"/> and <see cref="Predict"/> call builds a fresh <see cref="Graph"/> (graph
/// seed <c>tf_random_seed</c>, the global step, the input function, the model function in the
/// call's mode), starts a session from the latest checkpoint of <see cref="ModelDir"/> (or
/// initializes the variables when there is none), and runs until the steps are done or the
/// input ends. Training writes <c>graph.pbtxt</c>, V2 checkpoints <c>model.ckpt-N</c> (with their
/// <c>.meta</c> and the <c>checkpoint</c> state file; <c>keep_checkpoint_max</c>), and events with the
/// loss summary every <c>save_summary_steps</c> and <c>global_step/sec</c> every
/// <c>log_step_count_steps</c>; evaluation writes its metrics as summaries under
/// <c>eval</c> (or <c>eval_&lt;name&gt;</c>). Progress goes to <see cref="Logger"/> in TF's words.
/// </summary>
public partial class Estimator
{
    private readonly ModelFn _modelFn;

    /// <summary>
    /// TF's <c>Estimator(model_fn, model_dir, config, params)</c>. The model directory is
    /// <paramref name="modelDir"/>, else the config's, else a new temporary folder (TF's warning
    /// "Using temporary folder as model directory"); both given and different is an error.
    /// </summary>
    public Estimator(ModelFn modelFn, string? modelDir = null, RunConfig? config = null, IReadOnlyDictionary<string, object>? parameters = null)
    {
        _modelFn = modelFn ?? throw new ArgumentNullException(nameof(modelFn));
        config ??= new RunConfig();
        if (modelDir is not null && config.ModelDir is not null && Path.GetFullPath(modelDir) != Path.GetFullPath(config.ModelDir))
            throw new ArgumentException($"model_dir are set both in constructor and RunConfig, but with different values. In constructor: '{modelDir}', in RunConfig: '{config.ModelDir}'");
        var dir = modelDir ?? config.ModelDir;
        if (dir is null)
        {
            dir = Directory.CreateTempSubdirectory("tmp").FullName;
            Log($"Using temporary folder as model directory: {dir}");
        }
        ModelDir = dir;
        Config = config.WithModelDir(dir);
        Params = parameters ?? new Dictionary<string, object>();
    }

    /// <summary>
    /// <see cref="Estimator(ModelFn, string?, RunConfig?, IReadOnlyDictionary{string, object}?)"/> for a
    /// model function without <c>params</c>, TF's <c>model_fn(features, labels, mode)</c>.
    /// </summary>
    public Estimator(Func<TensorDict, Output?, string, EstimatorSpec> modelFn, string? modelDir = null, RunConfig? config = null)
        : this(Wrap(modelFn), modelDir, config)
    {
    }

    private static ModelFn Wrap(Func<TensorDict, Output?, string, EstimatorSpec> modelFn)
    {
        ArgumentNullException.ThrowIfNull(modelFn);
        return (features, labels, mode, _) => modelFn(features, labels, mode);
    }

    /// <summary>The model directory.</summary>
    public string ModelDir { get; }

    /// <summary>The run configuration (its model directory is <see cref="ModelDir"/>).</summary>
    public RunConfig Config { get; }

    /// <summary>The <c>params</c> handed to the model function.</summary>
    public IReadOnlyDictionary<string, object> Params { get; }

    /// <summary>
    /// Receives TF's INFO messages ("loss = 0.6931472, step = 1", "Saving checkpoints for 0 into
    /// …/model.ckpt.", …); by default they go to standard error as <c>INFO:tensorflow:&lt;message&gt;</c>.
    /// </summary>
    public Action<string>? Logger { get; set; } = m => Console.Error.WriteLine("INFO:tensorflow:" + m);

    /// <summary>Builds the model function's graph ops; overridden by the canned estimators' heads as needed.</summary>
    protected virtual EstimatorSpec CallModelFn(TensorDict features, Output? labels, string mode)
    {
        Log("Calling model_fn.");
        var spec = _modelFn(features, labels, mode, Params);
        Log("Done calling model_fn.");
        if (spec.Mode != mode) throw new InvalidOperationException($"model_fn returned a spec for mode '{spec.Mode}' when called in mode '{mode}'");
        return spec;
    }

    /// <summary>The latest checkpoint prefix in <see cref="ModelDir"/>, or null (TF's <c>latest_checkpoint</c>).</summary>
    public string? LatestCheckpoint() => Directory.Exists(ModelDir) ? Saver.LatestCheckpoint(ModelDir) : null;

    /// <summary>The names of the variables in the latest checkpoint (TF's <c>get_variable_names</c>).</summary>
    public IReadOnlyList<string> GetVariableNames()
    {
        using var r = new CheckpointReader(LatestCheckpoint() ?? throw NoModel());
        return r.TensorNames.ToArray();
    }

    /// <summary>The value of variable <paramref name="name"/> in the latest checkpoint (TF's <c>get_variable_value</c>).</summary>
    public Tensor GetVariableValue(string name)
    {
        using var r = new CheckpointReader(LatestCheckpoint() ?? throw NoModel());
        return r.GetTensor(name);
    }

    /// <summary>TF's <c>eval_dir(name)</c>: where <see cref="Evaluate"/> writes its summaries, <c>eval</c> or <c>eval_&lt;name&gt;</c> under the model directory.</summary>
    public string EvalDir(string? name = null) => Path.Combine(ModelDir, string.IsNullOrEmpty(name) ? "eval" : "eval_" + name);

    private InvalidOperationException NoModel() => new($"Could not find trained model in model_dir: {ModelDir}.");

    private void Log(string message) => Logger?.Invoke(message);

    private static string Py(float v) => float.IsNaN(v) ? "nan" : float.IsPositiveInfinity(v) ? "inf" : float.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("R", CultureInfo.InvariantCulture);

    private static string Py(double v) => double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A graph as TF's estimator starts one: the seed and the global step.</summary>
    private Graph NewGraph(out Variable globalStep)
    {
        var g = new Graph { Seed = Config.TfRandomSeed };
        globalStep = g.GetOrCreateGlobalStep();
        return g;
    }

    private static InputFnResult CallInputFn(InputFn inputFn, Graph g)
    {
        var r = inputFn(g) ?? throw new InvalidOperationException("input_fn returned null");
        if (!ReferenceEquals(r.Features.Graph, g)) throw new InvalidOperationException("input_fn must build its tensors in the graph it is given");
        return r;
    }

    /// <summary>
    /// Starts the session: restores <paramref name="checkpoint"/> into the global variables, or
    /// initializes them when there is none; then the local variables and the input's initializer.
    /// </summary>
    private static void StartSession(Session s, Graph g, Saver? saver, string? checkpoint, InputFnResult input, Action<string> log)
    {
        if (checkpoint is not null && saver is not null)
        {
            log($"Restoring parameters from {checkpoint}");
            saver.Restore(s, checkpoint);
        }
        else if (g.GlobalVariables.Count > 0) s.Run(g.GlobalVariablesInitializer());
        log("Running local_init_op.");
        if (g.LocalVariables.Count > 0) s.Run(g.LocalVariablesInitializer());
        log("Done running local_init_op.");
        if (input.Initializer is { } init) s.Run([init], input.InitializerFeeds);
    }

    /// <summary>
    /// TF's <c>Estimator.train(input_fn, steps, max_steps)</c>: trains for <paramref name="steps"/>
    /// more steps, or until the global step reaches <paramref name="maxSteps"/> (training is
    /// skipped when the latest checkpoint is already there), or, with neither, until the input
    /// ends. Resumes from the latest checkpoint. Returns this estimator.
    /// </summary>
    public Estimator Train(InputFn inputFn, long? steps = null, long? maxSteps = null)
    {
        ArgumentNullException.ThrowIfNull(inputFn);
        if (steps is not null && maxSteps is not null) throw new ArgumentException("Can not provide both steps and max_steps.");
        if (steps is <= 0) throw new ArgumentException($"Must specify steps > 0, given: {steps}");
        if (maxSteps is <= 0) throw new ArgumentException($"Must specify max_steps > 0, given: {maxSteps}");
        var latest = LatestCheckpoint();
        if (maxSteps is { } max && latest is not null)
        {
            using var r = new CheckpointReader(latest);
            if (r.HasTensor(GraphKeys.GlobalStep) && r.GetTensor(GraphKeys.GlobalStep).Scalar<long>() >= max)
            {
                Log("Skipping training since max_steps has already saved.");
                return this;
            }
        }
        Directory.CreateDirectory(ModelDir);
        var g = NewGraph(out var globalStep);
        var input = CallInputFn(inputFn, g);
        var spec = CallModelFn(input.Features, input.Labels, ModeKeys.Train);
        var loss = spec.Loss!.Value;
        // TF adds the loss summary unless the model function made one named "loss".
        if (!g.GetCollection<Output>(GraphKeys.Summaries).Any(x => x.Op.Name == "loss")) g.ScalarSummary("loss", loss);
        var summaryOp = g.MergeAllSummaries();
        var saver = new Saver(g.GlobalVariables, Config.KeepCheckpointMax);
        var savePath = Path.Combine(ModelDir, "model.ckpt");
        using var s = new Session(g);
        if (latest is not null) saver.RecoverLastCheckpoints(Saver.AllCheckpointPaths(ModelDir), ModelDir);
        Log("Graph was finalized.");
        StartSession(s, g, saver, latest, input, Log);
        using var writer = new FileWriter(ModelDir, g);
        var gsRead = globalStep.Value;
        long step = s.Run(gsRead).Scalar<long>();
        long lastStep = maxSteps ?? (steps is { } n ? step + n : long.MaxValue);

        // CheckpointSaverHook.after_create_session: the graph, then a checkpoint of the starting step.
        ProtoFiles.Write(Path.Combine(ModelDir, "graph.pbtxt"), g.ToGraphDef());
        var meta = g.ToMetaGraphDef();
        writer.AddEvent(new Event { MetaGraphDef = meta.ToByteString() });
        void Save(long at)
        {
            Log($"Saving checkpoints for {at} into {savePath}.");
            var prefix = saver.Save(s, savePath, at);
            MetaGraphs.Write(prefix + ".meta", meta);
            writer.AddEvent(new Event { Step = at, SessionLog = new SessionLog { Status = SessionLog.Types.SessionStatus.Checkpoint, CheckpointPath = savePath } });
        }
        Save(step);
        long lastSaved = step;
        var saveClock = Stopwatch.StartNew();

        long? lastSummaryStep = null;
        long? counterStep = null;
        var counterClock = new Stopwatch();
        var logClock = new Stopwatch();
        long iteration = 0;
        Tensor? lastLoss = null;
        var trainOp = spec.TrainOp!;
        while (step < lastStep)
        {
            bool wantSummary = summaryOp is not null && Config.SaveSummarySteps > 0
                && (lastSummaryStep is null || step + 1 >= lastSummaryStep + Config.SaveSummarySteps);
            Tensor[] r;
            try
            {
                r = s.Run(wantSummary ? [loss, summaryOp!.Value] : [loss], null, [trainOp]);
            }
            catch (OutOfRangeException)
            {
                break;
            }
            step = s.Run(gsRead).Scalar<long>();
            lastLoss = r[0];
            if (double.IsNaN(ToDouble(lastLoss))) throw new NanLossDuringTrainingException();
            if (iteration == 0 && Config.SaveSummarySteps > 0)
                writer.AddEvent(new Event { Step = step, SessionLog = new SessionLog { Status = SessionLog.Types.SessionStatus.Start } });
            if (wantSummary)
            {
                writer.AddSummary(r[1], step);
                lastSummaryStep = step;
            }
            if (Config.LogStepCountSteps > 0)
            {
                if (iteration % Config.LogStepCountSteps == 0)
                {
                    var stats = $"loss = {Show(lastLoss)}, step = {step}";
                    Log(iteration == 0 ? stats : string.Create(CultureInfo.InvariantCulture, $"{stats} ({logClock.Elapsed.TotalSeconds:0.000} sec)"));
                    logClock.Restart();
                }
                if (counterStep is null)
                {
                    counterStep = step;
                    counterClock.Restart();
                }
                else if (step >= counterStep + Config.LogStepCountSteps)
                {
                    var rate = (step - counterStep.Value) / Math.Max(counterClock.Elapsed.TotalSeconds, 1e-9);
                    Log(string.Create(CultureInfo.InvariantCulture, $"global_step/sec: {rate:G6}"));
                    writer.AddSummary(new Summary { Value = { new Summary.Types.Value { Tag = "global_step/sec", SimpleValue = (float)rate } } }, step);
                    counterStep = step;
                    counterClock.Restart();
                }
            }
            iteration++;
            bool saveNow = Config.SaveCheckpointsSteps is { } every ? step >= lastSaved + every
                : Config.SaveCheckpointsSecs is { } secs && saveClock.Elapsed.TotalSeconds >= secs;
            if (saveNow && step != lastSaved)
            {
                Save(step);
                lastSaved = step;
                saveClock.Restart();
            }
        }
        if (step != lastSaved) Save(step);
        writer.Flush();
        if (iteration == 0) Log("WARNING: Training with estimator made no steps. Perhaps input is empty or misspecified.");
        Log($"Loss for final step: {(lastLoss is null ? "None" : Show(lastLoss))}.");
        return this;
    }

    /// <summary>
    /// TF's <c>Estimator.evaluate(input_fn, steps, name)</c>: runs the metrics' update ops for
    /// <paramref name="steps"/> batches or until the input ends, from the latest checkpoint (or
    /// freshly initialized variables, as TF does when there is none), and returns every metric's
    /// value, <c>"loss"</c> (the mean of the loss over the batches) and <c>"global_step"</c>. The
    /// values are written as summaries at the global step under <c>eval</c> or <c>eval_&lt;name&gt;</c>.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Evaluate(InputFn inputFn, long? steps = null, string? name = null, string? checkpointPath = null)
    {
        ArgumentNullException.ThrowIfNull(inputFn);
        if (steps is <= 0) throw new ArgumentException($"Must specify steps > 0, given: {steps}");
        var checkpoint = checkpointPath ?? LatestCheckpoint();
        if (checkpoint is null) Log($"Could not find trained model in model_dir: {ModelDir}, running initialization to evaluate.");
        var g = NewGraph(out var globalStep);
        var input = CallInputFn(inputFn, g);
        var spec = CallModelFn(input.Features, input.Labels, ModeKeys.Eval);
        if (spec.EvalMetricOps.ContainsKey("loss"))
            throw new ArgumentException("Metric with name \"loss\" is not allowed, because Estimator already defines a default metric with the same name.");
        var metrics = new SortedDictionary<string, (Output Value, Output UpdateOp)>(StringComparer.Ordinal);
        foreach (var (k, v) in spec.EvalMetricOps) metrics[k] = v;
        metrics["loss"] = Metrics.Mean(spec.Loss!.Value);
        if (metrics.ContainsKey(GraphKeys.GlobalStep))
            throw new ArgumentException("Metric with name `global_step` is not allowed, because Estimator already defines a default metric with the same name.");
        var updates = g.Group(metrics.Values.Select(m => m.UpdateOp.Op));
        var saver = g.GlobalVariables.Count > 0 ? new Saver(g.GlobalVariables) : null;
        using var s = new Session(g);
        Log($"Starting evaluation at {DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)}Z");
        StartSession(s, g, saver, checkpoint, input, Log);
        long done = 0;
        long every = steps is { } n ? Math.Max(1, n / 10) : 0;
        while (steps is null || done < steps)
        {
            try
            {
                s.Run([updates]);
            }
            catch (OutOfRangeException)
            {
                break;
            }
            done++;
            if (steps is { } total && (done % every == 0 || done == total)) Log($"Evaluation [{done}/{total}]");
        }
        var keys = metrics.Keys.ToArray();
        var values = s.Run([.. keys.Select(k => metrics[k].Value), globalStep.Value]);
        Log($"Finished evaluation at {DateTime.UtcNow.ToString("yyyy-MM-dd-HH:mm:ss", CultureInfo.InvariantCulture)}");
        var result = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Length; i++) result[keys[i]] = values[i];
        long gs = values[^1].Scalar<long>();
        result[GraphKeys.GlobalStep] = values[^1];
        Log($"Saving dict for global step {gs}: " + string.Join(", ", result.Select(kv => $"{kv.Key} = {Show(kv.Value)}")));
        var evalDir = EvalDir(name);
        using (var writer = new FileWriter(evalDir, g))
        {
            writer.AddSummary(EvalSummary(result), gs);
            if (checkpoint is not null)
            {
                Log($"Saving 'checkpoint_path' summary for global step {gs}: {checkpoint}");
                var path = new Summary();
                path.Value.Add(new Summary.Types.Value { Tag = "checkpoint_path", Tensor = TensorProtos.ToProto(Tensor.Scalar(checkpoint)) });
                writer.AddSummary(path, gs);
            }
        }
        return result;
    }

    /// <summary>
    /// TF's <c>_write_dict_to_summary</c>: scalar floats and 32/64-bit integers as simple values,
    /// a scalar string holding a serialized <c>Summary</c> as its values (tags <c>key/i</c>), any
    /// other array as a tensor summary; everything else (and <c>global_step</c>) is skipped.
    /// </summary>
    private Summary EvalSummary(IReadOnlyDictionary<string, Tensor> values)
    {
        var summary = new Summary();
        foreach (var (k, v) in values)
        {
            if (k == GraphKeys.GlobalStep) continue;
            if (v.Rank == 0 && v.DType is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64)
            {
                summary.Value.Add(new Summary.Types.Value { Tag = k, SimpleValue = (float)ToDouble(v) });
            }
            else if (v.Rank == 0 && v.DType == DType.String)
            {
                Summary inner;
                try
                {
                    inner = Summary.Parser.ParseFrom(v.AsSpan<byte[]>()[0]);
                }
                catch (InvalidProtocolBufferException)
                {
                    Log($"WARNING: Skipping summary for {k}, cannot parse string to Summary.");
                    continue;
                }
                for (int i = 0; i < inner.Value.Count; i++) inner.Value[i].Tag = string.Create(CultureInfo.InvariantCulture, $"{k}/{i}");
                summary.Value.Add(inner.Value);
            }
            else if (v.Rank > 0)
            {
                summary.Value.Add(new Summary.Types.Value { Tag = k, NodeName = k, Tensor = TensorProtos.ToProto(v) });
            }
            else
            {
                Log($"WARNING: Skipping summary for {k}, must be a float, np.float32, np.int64, np.int32 or int or np.ndarray or a serialized string of Summary.");
            }
        }
        return summary;
    }

    private static double ToDouble(Tensor v) => v.DType switch
    {
        DType.Float32 => v.AsSpan<float>()[0],
        DType.Float64 => v.AsSpan<double>()[0],
        DType.Int32 => v.AsSpan<int>()[0],
        DType.Int64 => v.AsSpan<long>()[0],
        _ => v.Cast(DType.Float64).AsSpan<double>()[0],
    };

    private static string Show(Tensor v) => v.Size == 1 && v.DType == DType.Float32 ? Py(v.AsSpan<float>()[0])
        : v.Size == 1 && v.DType == DType.Float64 ? Py(v.AsSpan<double>()[0]) : v.ToString();

    /// <summary>
    /// TF's <c>Estimator.predict(input_fn, predict_keys, checkpoint_path)</c> for dictionary
    /// predictions: runs the model in PREDICT mode from <paramref name="checkpointPath"/> or the
    /// latest checkpoint (with none, from freshly initialized variables, as TF 1.15 does) until the
    /// input ends, and yields one dictionary per example (each prediction's row). With
    /// <paramref name="predictKeys"/> (not empty) only those predictions are kept; keys the model
    /// does not predict are ignored, and keeping none is TF's ValueError "Expected to run at least
    /// one output". With <paramref name="yieldSingleExamples"/> false each batch is yielded whole
    /// (TF's <c>yield_single_examples=False</c>). Nothing runs until the result is enumerated, as
    /// TF's generator.
    /// </summary>
    public IEnumerable<IReadOnlyDictionary<string, Tensor>> Predict(InputFn inputFn, IEnumerable<string>? predictKeys = null, string? checkpointPath = null,
        bool yieldSingleExamples = true)
    {
        ArgumentNullException.ThrowIfNull(inputFn);
        var keys = predictKeys?.ToArray();
        return PredictCore(inputFn, keys, checkpointPath, single: false, yieldSingleExamples).Select(p => (IReadOnlyDictionary<string, Tensor>)p.Dict!);
    }

    /// <summary>
    /// <see cref="Predict"/> for a model whose predictions are a single tensor: yields each
    /// example's row of it (or each batch whole, with <paramref name="yieldSingleExamples"/> false),
    /// as TF's <c>predict</c> yields the values themselves.
    /// </summary>
    public IEnumerable<Tensor> PredictTensors(InputFn inputFn, string? checkpointPath = null, bool yieldSingleExamples = true)
    {
        ArgumentNullException.ThrowIfNull(inputFn);
        return PredictCore(inputFn, null, checkpointPath, single: true, yieldSingleExamples).Select(p => p.Value!);
    }

    private IEnumerable<(Dictionary<string, Tensor>? Dict, Tensor? Value)> PredictCore(InputFn inputFn, string[]? predictKeys, string? checkpointPath, bool single,
        bool yieldSingleExamples)
    {
        var checkpoint = checkpointPath ?? LatestCheckpoint();
        if (checkpoint is null) Log($"Could not find trained model in model_dir: {ModelDir}, running initialization to predict.");
        var g = NewGraph(out _);
        var input = CallInputFn(inputFn, g);
        if (!input.Features.Pairs.Any(p => p.Value.Op.Type == "IteratorGetNext"))
            Log("WARNING: Input graph does not use tf.data.Dataset or contain a QueueRunner. That means predict yields forever. This is probably a mistake.");
        var spec = CallModelFn(input.Features, null, ModeKeys.Predict);
        var preds = spec.Predictions!;
        if (single && preds.IsDictionary) throw new InvalidOperationException("The predictions are a dictionary: use Predict");
        if (!single && !preds.IsDictionary) throw new InvalidOperationException("The predictions are a single tensor: use PredictTensors");
        string[] names;
        Output[] fetches;
        if (preds.Items is { } items)
        {
            names = items.Keys.Where(k => predictKeys is not { Length: > 0 } || predictKeys.Contains(k, StringComparer.Ordinal))
                .OrderBy(k => k, StringComparer.Ordinal).ToArray();
            if (names.Length == 0)
                throw new ArgumentException($"Expected to run at least one output from [{string.Join(", ", items.Keys.Order(StringComparer.Ordinal))}], provided [{string.Join(", ", predictKeys!)}].");
            fetches = names.Select(k => items[k]).ToArray();
        }
        else
        {
            names = [""];
            fetches = [preds.Single!.Value];
        }
        var saver = new Saver(g.GlobalVariables);
        using var s = new Session(g);
        StartSession(s, g, saver, checkpoint, input, Log);
        while (true)
        {
            Tensor[] batch;
            try
            {
                batch = s.Run(fetches);
            }
            catch (OutOfRangeException)
            {
                yield break;
            }
            if (!yieldSingleExamples)
            {
                if (single)
                {
                    yield return (null, batch[0]);
                    continue;
                }
                var whole = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                for (int i = 0; i < names.Length; i++) whole[names[i]] = batch[i];
                yield return (whole, null);
                continue;
            }
            if (batch.Any(t => t.Dims.Length == 0))
                throw new InvalidOperationException("Prediction values must have a batch dimension (rank >= 1)");
            int n = batch[0].Dims[0];
            for (int i = 1; i < batch.Length; i++)
            {
                if (batch[i].Dims[0] != n)
                    throw new InvalidOperationException($"Batch length of predictions should be same. {names[i]} has different batch length than others.");
            }
            for (int row = 0; row < n; row++)
            {
                if (single)
                {
                    yield return (null, Row(batch[0], row));
                    continue;
                }
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                for (int i = 0; i < names.Length; i++) d[names[i]] = Row(batch[i], row);
                yield return (d, null);
            }
        }
    }

    private static Tensor Row(Tensor t, int row) => t[row..(row + 1)].Reshape(t.Dims[1..].ToArray());
}

/// <summary>TF's <c>NanLossDuringTrainingError</c>: the loss of a training step was NaN (no checkpoint is written for that step).</summary>
public sealed class NanLossDuringTrainingException : InvalidOperationException
{
    /// <summary>The exception with TF's message, "NaN loss during training.".</summary>
    public NanLossDuringTrainingException()
        : base("NaN loss during training.")
    {
    }
}
