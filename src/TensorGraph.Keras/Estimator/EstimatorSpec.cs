namespace TensorGraph.Estimator;

/// <summary>
/// TF's <c>tf.estimator.EstimatorSpec</c>: what a model function returns for a mode. TRAIN needs
/// <c>loss</c> and <c>trainOp</c>, EVAL needs <c>loss</c>, PREDICT needs <c>predictions</c>
/// (TF's ValueErrors "Missing loss.", "Missing train_op.", "Missing predictions."). A loss of one
/// element that is not a scalar is reshaped to one, as TF does; a larger one is refused.
/// <c>exportOutputs</c> are the serving signatures (name → Predict outputs); in PREDICT they default
/// to <c>serving_default</c> with the predictions, as TF's <c>PredictOutput</c>; a single signature
/// of another name is also served as <c>serving_default</c>, and several need one named so (TF's
/// <c>get_export_outputs</c>). Every tensor and op must be in one graph.
/// </summary>
public sealed class EstimatorSpec
{
    /// <summary>Creates the spec and checks it as TF does.</summary>
    public EstimatorSpec(string mode, TensorDict? predictions = null, Output? loss = null, Operation? trainOp = null,
        IReadOnlyDictionary<string, (Output Value, Output UpdateOp)>? evalMetricOps = null,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, Output>>? exportOutputs = null)
    {
        if (mode is not (ModeKeys.Train or ModeKeys.Eval or ModeKeys.Predict))
            throw new ArgumentException($"mode={mode} unrecognized.", nameof(mode));
        if (mode == ModeKeys.Train && trainOp is null) throw new ArgumentException("Missing train_op.");
        if (mode != ModeKeys.Predict && loss is null) throw new ArgumentException("Missing loss.");
        if (mode == ModeKeys.Predict && predictions is null) throw new ArgumentException("Missing predictions.");
        if (loss is { } l)
        {
            var n = l.Shape.IsFullyDefined ? l.Shape.NumElements : -1;
            if (n is not (-1 or 1)) throw new ArgumentException($"Loss must be scalar, given: {l.Name} of shape {l.Shape}");
            if (l.Shape.Rank != 0) loss = l.Op.Graph.Reshape(l, []);
        }
        CheckOneGraph(predictions, loss, trainOp, evalMetricOps, exportOutputs);
        Mode = mode;
        Predictions = predictions;
        Loss = loss;
        TrainOp = trainOp;
        EvalMetricOps = evalMetricOps ?? new Dictionary<string, (Output, Output)>();
        if (mode == ModeKeys.Predict) exportOutputs = ServingExportOutputs(exportOutputs, predictions!);
        ExportOutputs = exportOutputs ?? new Dictionary<string, IReadOnlyDictionary<string, Output>>();
    }

    /// <summary>The default serving signature key (TF's <c>DEFAULT_SERVING_SIGNATURE_DEF_KEY</c>).</summary>
    public const string DefaultServingKey = "serving_default";

    /// <summary>TF's <c>export_utils.get_export_outputs</c> and <c>_maybe_add_default_serving_output</c>.</summary>
    private static Dictionary<string, IReadOnlyDictionary<string, Output>> ServingExportOutputs(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, Output>>? given, TensorDict predictions)
    {
        var outputs = new Dictionary<string, IReadOnlyDictionary<string, Output>>(StringComparer.Ordinal);
        if (given is null)
        {
            outputs[DefaultServingKey] = PredictOutputs(predictions);
            return outputs;
        }
        foreach (var (key, sig) in given)
        {
            ArgumentNullException.ThrowIfNull(sig, key);
            if (sig.Count == 0) throw new ArgumentException($"Prediction outputs cannot be None or empty (export output '{key}').");
            outputs[key] = sig;
        }
        if (outputs.Count == 1 && !outputs.ContainsKey(DefaultServingKey)) outputs[DefaultServingKey] = outputs.Values.First();
        if (outputs.Count > 1 && !outputs.ContainsKey(DefaultServingKey))
            throw new ArgumentException("Multiple export_outputs were provided, but none of them is specified as the default.  Do this by naming one of them with signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY.");
        return outputs;
    }

    /// <summary>TF's "must be from the default graph" check: every tensor and op of the spec belongs to one graph.</summary>
    private static void CheckOneGraph(TensorDict? predictions, Output? loss, Operation? trainOp,
        IReadOnlyDictionary<string, (Output Value, Output UpdateOp)>? metrics, IReadOnlyDictionary<string, IReadOnlyDictionary<string, Output>>? exportOutputs)
    {
        var named = new List<(string Name, Graph Graph)>();
        if (predictions is not null) named.AddRange(predictions.Pairs.Select(p => ($"predictions[{p.Key}]", p.Value.Op.Graph)));
        if (loss is { } l) named.Add(("loss", l.Op.Graph));
        if (trainOp is not null) named.Add(("train_op", trainOp.Graph));
        if (metrics is not null) named.AddRange(metrics.SelectMany(m => new[] { ($"eval_metric_ops[{m.Key}]", m.Value.Value.Op.Graph), ($"eval_metric_ops[{m.Key}]", m.Value.UpdateOp.Op.Graph) }));
        if (exportOutputs is not null) named.AddRange(exportOutputs.SelectMany(e => (e.Value ?? new Dictionary<string, Output>()).Select(o => ($"export_outputs[{e.Key}][{o.Key}]", o.Value.Op.Graph))));
        if (named.Count == 0) return;
        var first = named[0];
        foreach (var (name, graph) in named)
        {
            if (!ReferenceEquals(graph, first.Graph))
                throw new ArgumentException($"{name} must be from the same graph as {first.Name}: the EstimatorSpec's tensors must all be built in the graph the model function was given.");
        }
    }

    /// <summary>The mode (<see cref="ModeKeys"/>).</summary>
    public string Mode { get; }

    /// <summary>The predictions (a tensor or a dictionary), when given.</summary>
    public TensorDict? Predictions { get; }

    /// <summary>The scalar loss, when given.</summary>
    public Output? Loss { get; }

    /// <summary>The training op, when given.</summary>
    public Operation? TrainOp { get; }

    /// <summary>Metric name → (value, update op), as <see cref="Metrics"/> returns them.</summary>
    public IReadOnlyDictionary<string, (Output Value, Output UpdateOp)> EvalMetricOps { get; }

    /// <summary>Signature name → Predict signature outputs (name → tensor).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Output>> ExportOutputs { get; }

    /// <summary>TF's <c>PredictOutput(predictions)</c>: a dictionary as it is, a single tensor under <c>"output"</c>.</summary>
    public static IReadOnlyDictionary<string, Output> PredictOutputs(TensorDict predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return predictions.Items ?? new Dictionary<string, Output> { ["output"] = predictions.Single!.Value };
    }
}

/// <summary>TF's <c>model_fn(features, labels, mode, params)</c>.</summary>
/// <param name="features">The features the input function gave (a tensor or a dictionary).</param>
/// <param name="labels">The labels, or null (always null in PREDICT).</param>
/// <param name="mode">One of <see cref="ModeKeys"/>.</param>
/// <param name="parameters">The estimator's <c>params</c>.</param>
public delegate EstimatorSpec ModelFn(TensorDict features, Output? labels, string mode, IReadOnlyDictionary<string, object> parameters);

/// <summary>TF's <c>input_fn()</c>: builds the input pipeline in <paramref name="graph"/> (a fresh graph per call of the estimator).</summary>
public delegate InputFnResult InputFn(Graph graph);

/// <summary>
/// What an input function returns: features and labels (TF's <c>(features, labels)</c> tuple), or a
/// tf.data <see cref="Dataset"/>, for which the estimator makes an initializable iterator and runs
/// its initializer after the session starts. The end of the input (<see cref="OutOfRangeException"/>)
/// ends Train, Evaluate and Predict.
/// </summary>
public sealed class InputFnResult
{
    /// <summary>Features and optional labels.</summary>
    public InputFnResult(TensorDict features, Output? labels = null)
    {
        Features = features ?? throw new ArgumentNullException(nameof(features));
        Labels = labels;
    }

    private InputFnResult(TensorDict features, Output? labels, Operation? initializer, FeedDict? feeds)
        : this(features, labels)
    {
        Initializer = initializer;
        InitializerFeeds = feeds;
    }

    /// <summary>The features.</summary>
    public TensorDict Features { get; }

    /// <summary>The labels, or null.</summary>
    public Output? Labels { get; }

    /// <summary>An op to run once after the session starts (a dataset iterator's initializer).</summary>
    public Operation? Initializer { get; }

    /// <summary>Values to feed to <see cref="Initializer"/>.</summary>
    public FeedDict? InitializerFeeds { get; }

    /// <summary>
    /// The elements of <paramref name="dataset"/> as features and labels: with
    /// <paramref name="featureKeys"/>, the first components are those features (a dictionary) and
    /// a further one, if any, the labels; without, one component is the features and a second the labels.
    /// </summary>
    public static InputFnResult FromDataset(Dataset dataset, IReadOnlyList<string>? featureKeys = null, FeedDict? initializerFeeds = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var it = dataset.MakeInitializableIterator();
        var next = it.GetNext();
        int nf = featureKeys?.Count ?? 1;
        if (next.Length != nf && next.Length != nf + 1)
            throw new ArgumentException($"The dataset has {next.Length} components; expected {nf} feature(s) and at most one label");
        TensorDict features = featureKeys is null ? next[0] : new TensorDict(featureKeys.Select((k, i) => new KeyValuePair<string, Output>(k, next[i])));
        return new InputFnResult(features, next.Length > nf ? next[nf] : null, it.Initializer, initializerFeeds);
    }

    /// <summary>A dataset of (features) or (features, labels) elements (<see cref="FromDataset"/> without keys).</summary>
    public static implicit operator InputFnResult(Dataset dataset) => FromDataset(dataset);

    /// <summary>Features without labels.</summary>
    public static implicit operator InputFnResult(Output features) => new(features);

    /// <summary>(features, labels).</summary>
    public static implicit operator InputFnResult((Output Features, Output Labels) pair) => new(pair.Features, pair.Labels);
}
