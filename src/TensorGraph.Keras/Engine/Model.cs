using System.Globalization;
using Saver = TensorGraph.Training.Saver;
using SavedModelBuilder = TensorGraph.Serialization.SavedModelBuilder;
using SavedModelBundle = TensorGraph.Serialization.SavedModelBundle;
using SignatureDefs = TensorGraph.Serialization.SignatureDefs;
using TensorGraph.Keras.Callbacks;
using TensorGraph.Keras.Layers;
using TensorGraph.Keras.Losses;
using TensorGraph.Keras.Metrics;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras;

/// <summary>What the verbose=1 progress bar counts.</summary>
public enum ProgressUnit
{
    /// <summary>Batches, <c>469/469 [====] - 3s 6ms/step</c> (the book's tf.keras 2 transcript).</summary>
    Steps,
    /// <summary>Samples, <c>Train on 60000 samples</c> then <c>60000/60000 [====] - 3s 50us/sample</c> (tf.keras 1.15 with arrays).</summary>
    Samples,
}

/// <summary>
/// A Keras model: a graph network from input tensors to output tensors (functional API:
/// <c>new Model(inputs, outputs)</c>), with Keras's compile/fit/evaluate/predict. Its ops live in
/// an ordinary <see cref="TensorGraph.Graph"/> (the Keras default graph, <see cref="Backend.Graph"/>)
/// and run in that graph's <see cref="TensorGraph.Session"/>, both public, so a Keras model can be
/// inspected, exported, frozen and served like any graph.
/// </summary>
public class Model
{
    private sealed record LossOutput(Output Total, Output[] PerOutput, Output[] MetricSums, Output[] MetricCounts, Output[] Targets, Output[] SampleWeights);

    private readonly List<KerasTensor> _inputs = [];
    private readonly List<KerasTensor> _outputs = [];
    private readonly List<string> _outputNames = [];
    private Optimizer? _optimizer;
    private object? _lossSpec;
    private object[]? _metricSpecs;
    private double[]? _lossWeights;
    private Loss[] _losses = [];
    private List<(int Output, Metric Metric, string Name)> _metrics = [];
    private LossOutput? _training;
    private Callable? _trainFn, _testFn, _predictFn;
    private Saver? _saver;
    private readonly Dictionary<Variable, (Output Feed, Operation Assign)> _assigns = [];

    /// <summary>A functional model from one input to one output.</summary>
    public Model(KerasTensor input, KerasTensor output, string? name = null) : this([input], [output], name) { }

    /// <summary>A functional model from <paramref name="inputs"/> to <paramref name="outputs"/> (each made by <see cref="Keras.Input"/> and layer calls).</summary>
    public Model(KerasTensor[] inputs, KerasTensor[] outputs, string? name = null) : this(name)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Length == 0 || outputs.Length == 0) throw new ArgumentException("A model needs at least one input and one output");
        foreach (var i in inputs)
            if (i.Layer is not InputLayer) throw new ArgumentException($"Input tensors to a Model must come from `Keras.Input`. Received: {i} (missing previous layer metadata).", nameof(inputs));
        var g = inputs[0].Graph;
        if (inputs.Concat(outputs).Any(t => !ReferenceEquals(t.Graph, g))) throw new ArgumentException("All inputs and outputs of a model must be in one graph");
        SetGraphNetwork(inputs, outputs, UniqueOutputNames(outputs));
    }

    /// <summary>
    /// The output layers' names, made unique as Keras's <c>_set_output_names</c> does when one layer
    /// gives several outputs (an RNN's states): <c>lstm</c>, <c>lstm_1</c>, <c>lstm_2</c>.
    /// </summary>
    private static List<string> UniqueOutputNames(KerasTensor[] outputs)
    {
        var names = new List<string>();
        var used = new HashSet<string>();
        var counts = new Dictionary<string, int>();
        foreach (var o in outputs)
        {
            string name = o.Layer.Name, proposal = name;
            while (used.Contains(proposal))
            {
                int n = counts.GetValueOrDefault(name, 1);
                proposal = $"{name}_{n}";
                counts[name] = n + 1;
            }
            used.Add(proposal);
            names.Add(proposal);
        }
        return names;
    }

    /// <summary>For subclasses (<see cref="Sequential"/>): a model with no network yet.</summary>
    protected Model(string? name)
    {
        Name = name ?? Backend.UniqueObjectName(Backend.ToSnakeCase(GetType().Name));
    }

    /// <summary>The model's name (<c>model</c>, <c>sequential</c>, <c>sequential_1</c>…).</summary>
    public string Name { get; }

    /// <summary>Whether the network's ops exist.</summary>
    public bool Built => _outputs.Count > 0;

    /// <summary>The graph holding the model's ops.</summary>
    public Graph Graph => Built ? _outputs[0].Graph : throw NotBuilt();

    /// <summary>The session that runs the model (<c>K.get_session()</c> of its graph).</summary>
    public Session Session => Backend.GetSession(Graph);

    /// <summary>The input tensors.</summary>
    public IReadOnlyList<KerasTensor> Inputs => _inputs;

    /// <summary>The output tensors.</summary>
    public IReadOnlyList<KerasTensor> Outputs => _outputs;

    /// <summary>Output names: the output layers' names, or <c>output_1</c>… for a Sequential built on its first data.</summary>
    public IReadOnlyList<string> OutputNames => _outputNames;

    /// <summary>
    /// The layers in Keras's order (a functional model lists its InputLayers too, as Keras does):
    /// <c>_map_graph_network</c>'s, by decreasing depth from the outputs, layers of one depth in the
    /// order a depth-first walk from the outputs first meets them.
    /// </summary>
    public virtual IReadOnlyList<Layer> Layers
    {
        get
        {
            // A node is one layer call: the tensors it made share its Inbound list.
            var indices = new Dictionary<Layer, int>();
            var finished = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var decreasing = new List<(Layer Layer, IReadOnlyList<KerasTensor> Inbound)>();
            void Visit(KerasTensor t)
            {
                if (finished.Contains(t.Inbound) && t.Inbound.Count > 0) return;
                if (t.Inbound.Count == 0 && indices.ContainsKey(t.Layer)) return;
                indices.TryAdd(t.Layer, indices.Count);
                foreach (var i in t.Inbound) Visit(i);
                finished.Add(t.Inbound);
                decreasing.Add((t.Layer, t.Inbound));
            }
            foreach (var o in _outputs) Visit(o);
            var nodeDepth = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
            var layerDepth = new Dictionary<Layer, int>();
            object Key(KerasTensor t) => t.Inbound.Count > 0 ? t.Inbound : t.Layer;
            for (int k = decreasing.Count - 1; k >= 0; k--)
            {
                var (layer, inbound) = decreasing[k];
                object key = inbound.Count > 0 ? inbound : layer;
                int depth = Math.Max(nodeDepth.GetValueOrDefault(key), layerDepth.GetValueOrDefault(layer));
                layerDepth[layer] = depth;
                nodeDepth[key] = depth;
                foreach (var i in inbound) nodeDepth[Key(i)] = Math.Max(depth + 1, nodeDepth.GetValueOrDefault(Key(i)));
            }
            return [.. layerDepth.Keys.OrderByDescending(l => layerDepth[l]).ThenBy(l => indices[l])];
        }
    }

    /// <summary>The layer called <paramref name="name"/>.</summary>
    public Layer GetLayer(string name) => Layers.FirstOrDefault(l => l.Name == name) ?? throw new ArgumentException($"No such layer: {name}", nameof(name));

    /// <summary>Every weight of every layer, trainable first within each layer.</summary>
    public IReadOnlyList<Variable> Weights => [.. Layers.SelectMany(l => l.Weights).Distinct()];

    /// <summary>The weights the optimizer trains.</summary>
    public IReadOnlyList<Variable> TrainableWeights => [.. Layers.SelectMany(l => l.TrainableWeights).Distinct()];

    /// <summary>The weights not trained.</summary>
    public IReadOnlyList<Variable> NonTrainableWeights => [.. Layers.SelectMany(l => l.NonTrainableWeights).Distinct()];

    /// <summary>The number of scalars in the weights.</summary>
    public long CountParams() => Weights.Sum(v => v.Shape.NumElements);

    /// <summary>The compiled optimizer, or null.</summary>
    public Optimizer? Optimizer => _optimizer;

    /// <summary>Where progress and summaries are written (default the console).</summary>
    public TextWriter Writer { get; set; } = Console.Out;

    /// <summary>The clock of the progress bar's times (a fake one in tests).</summary>
    public IClock Clock { get; set; } = SystemClock.Instance;

    /// <summary>Redraw the bar in place; default: when <see cref="Writer"/> is a console that is not redirected.</summary>
    public bool? DynamicDisplay { get; set; }

    /// <summary>What the verbose=1 bar counts (default <see cref="ProgressUnit.Steps"/>).</summary>
    public ProgressUnit ProgressUnit { get; set; } = ProgressUnit.Steps;

    /// <summary>The random source of the per-epoch shuffle.</summary>
    public Random Random { get; set; } = new();

    /// <summary>Set by a callback to end <c>Fit</c> after the current epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>The History of the last fit.</summary>
    public History? History { get; private set; }

    /// <summary><c>loss</c> then each metric's log name (Keras's <c>metrics_names</c>).</summary>
    public IReadOnlyList<string> MetricsNames
    {
        get
        {
            var names = new List<string> { "loss" };
            if (_outputNames.Count > 1 && _losses.Length > 0) names.AddRange(_outputNames.Select(n => n + "_loss"));
            names.AddRange(_metrics.Select(m => m.Name));
            return names;
        }
    }

    /// <summary>Sets the network (used by the functional constructor and by Sequential).</summary>
    private protected void SetGraphNetwork(IEnumerable<KerasTensor> inputs, IEnumerable<KerasTensor> outputs, IEnumerable<string> outputNames)
    {
        _inputs.Clear();
        _inputs.AddRange(inputs);
        _outputs.Clear();
        _outputs.AddRange(outputs);
        _outputNames.Clear();
        _outputNames.AddRange(outputNames);
        Invalidate();
    }

    /// <summary>Forgets the training graph (after the network changed); the next fit rebuilds it.</summary>
    private protected void Invalidate()
    {
        _training = null;
        _trainFn = _testFn = _predictFn = null;
        _saver = null;
    }

    /// <summary>Builds the network on the first data if it is deferred (Sequential without input shape).</summary>
    private protected virtual void BuildOnData(Tensor[] x) { }

    private static InvalidOperationException NotBuilt() =>
        new("This model has not yet been built. Build the model first by calling it on data, or give the first layer an `inputShape`.");

    // ------------------------------------------------------------------ compile

    /// <summary>
    /// Configures training (Keras's <c>compile</c>). <paramref name="optimizer"/> is an
    /// <see cref="Optimizers.Optimizer"/> or a name (rmsprop, adam, sgd, adagrad);
    /// <paramref name="loss"/> a <see cref="Loss"/>, a name, or one per output (an array);
    /// <paramref name="metrics"/> metric names or <see cref="Metric"/> objects, applied to every
    /// output. Unknown names raise <see cref="ArgumentException"/>.
    /// </summary>
    public void Compile(object optimizer, object loss, object[]? metrics = null, double[]? lossWeights = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        var opt = Optimizers.Optimizer.Get(optimizer);
        // Resolve names now so that an unknown string fails at compile time.
        if (loss is object[] arr) foreach (var l in arr) Loss.Get(l); else Loss.Get(loss);
        foreach (var m in metrics ?? [])
            if (m is string s) Metric.Get(s, new MeanSquaredError(), Shape.Unknown);
            else if (m is not Metric) throw new ArgumentException($"Could not interpret metric function identifier: {m}", nameof(metrics));
        _optimizer = opt;
        _lossSpec = loss;
        _metricSpecs = metrics;
        _lossWeights = lossWeights;
        Invalidate();
        if (Built) EnsureLoss();
    }

    private LossOutput EnsureLoss()
    {
        if (_training is not null) return _training;
        if (_optimizer is null || _lossSpec is null) throw new InvalidOperationException("You must compile your model before training/testing. Use `model.Compile(optimizer, loss)`.");
        var g = Graph;
        int n = _outputs.Count;
        foreach (var o in _outputs)
            if (o.Mask is not null)
                throw new NotSupportedException($"Output {o.Output.Name} carries a mask (from Embedding(maskZero: true) through layers that keep it); losses over masked outputs are not supported. End the masked part with a recurrent layer that does not return sequences.");
        _losses = _lossSpec is object[] per
            ? (per.Length == n ? [.. per.Select(Loss.Get)] : throw new ArgumentException($"When passing a list as loss, it should have one entry per model output. The model has {n} outputs, but you passed {per.Length} losses."))
            : [.. Enumerable.Repeat(Loss.Get(_lossSpec), n)];
        if (_lossWeights is not null && _lossWeights.Length != n) throw new ArgumentException($"lossWeights needs one entry per output ({n}), got {_lossWeights.Length}");
        _metrics = [];
        for (int i = 0; i < n; i++)
            foreach (var m in _metricSpecs ?? [])
            {
                var metric = Metric.Get(m, _losses[i], _outputs[i].Shape);
                _metrics.Add((i, metric, n > 1 ? $"{_outputNames[i]}_{metric.Name}" : metric.Name));
            }
        var targets = new Output[n];
        var sampleWeights = new Output[n];
        var perOutput = new Output[n];
        Output total = default;
        using (g.NameScope(null))
        {
            for (int i = 0; i < n; i++)
            {
                int rank = _outputs[i].Shape.Rank;
                targets[i] = g.Placeholder(DType.Float32, rank < 0 ? Shape.Unknown : Shape.UnknownOfRank(rank), name: _outputNames[i] + "_target");
                // Keras's placeholder_with_default([1.], shape=[None]): fed only by class or sample weights.
                sampleWeights[i] = g.PlaceholderWithDefault(g.Constant(Tensor.FromArray(new[] { 1f })), new Shape(-1), name: _outputNames[i] + "_sample_weights");
            }
            using (g.NameScope("loss"))
            {
                for (int i = 0; i < n; i++)
                {
                    using (g.NameScope(_outputNames[i] + "_loss"))
                    {
                        var ps = _losses[i].PerSample(g, targets[i], _outputs[i].Output);
                        using (g.NameScope("weighted_loss")) ps = g.Multiply(ps, sampleWeights[i], name: "Mul");
                        Output count;
                        using (g.NameScope("num_elements")) count = g.Cast(g.Size(ps), ps.DType);
                        perOutput[i] = g.RealDiv(g.ReduceSum(ps, name: "Sum"), count, name: "value");
                    }
                    var w = g.Constant(Tensor.Scalar((float)(_lossWeights?[i] ?? 1.0)), name: "mul/x");
                    var weighted = g.Multiply(w, perOutput[i], name: "mul");
                    total = i == 0 ? weighted : g.AddV2(total, weighted, name: "add");
                }
                // Keras adds the layers' regularization penalties (model.losses) to the total loss.
                Output[] penalties = [.. Layers.SelectMany(l => l.Losses).Distinct()];
                if (penalties.Length > 0) total = g.AddV2(total, penalties.Length == 1 ? penalties[0] : g.AddN(penalties), name: "add_regularization");
            }
            var sums = new Output[_metrics.Count];
            var counts = new Output[_metrics.Count];
            using (g.NameScope("metrics"))
                for (int k = 0; k < _metrics.Count; k++)
                {
                    var (i, metric, name) = _metrics[k];
                    using (g.NameScope(name))
                    {
                        var ps = metric.PerSample(g, targets[i], _outputs[i].Output);
                        sums[k] = g.ReduceSum(ps, name: "Sum");
                        counts[k] = g.Cast(g.Size(ps), DType.Float32, name: "Cast");
                    }
                }
            _training = new LossOutput(total, perOutput, sums, counts, targets, sampleWeights);
        }
        return _training;
    }

    private Output[] Fetches(LossOutput t) => [t.Total, .. (_outputs.Count > 1 ? t.PerOutput : []), .. t.MetricSums, .. t.MetricCounts];

    private Callable TrainFunction()
    {
        if (_trainFn is not null) return _trainFn;
        var t = EnsureLoss();
        var g = Graph;
        var lp = Backend.LearningPhase(g);
        Operation train;
        using (g.NameScope(null))
        using (g.NameScope("training"))
            train = _optimizer!.GetUpdates(g, TrainableWeights, t.Total, Fetches(t));
        InitializeVariables();
        _trainFn = Session.MakeCallable([.. _inputs.Select(i => i.Output), .. t.Targets, .. t.SampleWeights, lp], Fetches(t), [train, .. Layers.SelectMany(l => l.Updates)]);
        return _trainFn;
    }

    /// <summary>Builds the training function now, so that the optimizer's state variables exist (for restoring a saved state).</summary>
    internal void BuildTrainFunction() => TrainFunction();

    private Callable TestFunction()
    {
        if (_testFn is not null) return _testFn;
        var t = EnsureLoss();
        InitializeVariables();
        _testFn = Session.MakeCallable([.. _inputs.Select(i => i.Output), .. t.Targets], Fetches(t));
        return _testFn;
    }

    private Callable PredictFunction()
    {
        if (_predictFn is not null) return _predictFn;
        InitializeVariables();
        _predictFn = Session.MakeCallable([.. _inputs.Select(i => i.Output)], [.. _outputs.Select(o => o.Output)]);
        return _predictFn;
    }

    /// <summary>Initializes the variables of the graph the session has not initialized yet (Keras's lazy <c>_initialize_variables</c>).</summary>
    private void InitializeVariables() => Backend.InitializeVariables(Graph, Graph.GlobalVariables);

    // ------------------------------------------------------------------ data

    private Tensor[] StandardizeX(Tensor[] x)
    {
        if (x.Length != _inputs.Count) throw new ArgumentException($"Error when checking model input: the model expects {_inputs.Count} input arrays, but received {x.Length}");
        var r = new Tensor[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var want = _inputs[i].DType;
            r[i] = x[i].DType == want ? x[i] : want == DType.Float32 ? Data.ToFloat32(x[i]) : throw new ArgumentException($"Input {i} has type {x[i].DType.Name()}, the model's input {_inputs[i].Output.Op.Name} takes {want.Name()}");
            var shape = _inputs[i].Shape;
            if (shape.IsRankKnown && !shape.IsCompatibleWith(r[i].Dims))
                throw new ArgumentException($"Error when checking input: expected {_inputs[i].Output.Op.Name} to have shape {ShapeText(shape)} but got array with shape ({string.Join(", ", r[i].Dims.ToArray())})");
        }
        return r;
    }

    private Tensor[] StandardizeY(Tensor[] y)
    {
        if (y.Length != _outputs.Count) throw new ArgumentException($"Error when checking model target: the model expects {_outputs.Count} target arrays, but received {y.Length}");
        return [.. y.Select((t, i) => Data.ExpandTarget(Data.ToFloat32(t), _outputs[i].Shape.Rank))];
    }

    private static int CheckRows(Tensor[] x, Tensor[]? y)
    {
        int n = Data.Rows(x[0], "x");
        foreach (var t in x.Concat(y ?? []))
            if (Data.Rows(t, "data") != n)
                throw new ArgumentException($"All input and target arrays should have the same number of samples. Got {string.Join(", ", x.Concat(y ?? []).Select(a => a.Dims[0]))}.");
        return n;
    }

    // ------------------------------------------------------------------ fit

    /// <summary>Trains on one input and one target (Keras's <c>fit</c>).</summary>
    public History Fit(Tensor x, Tensor y, int? batchSize = null, int epochs = 1, int verbose = 1, IEnumerable<Callback>? callbacks = null,
        double validationSplit = 0, (Tensor X, Tensor Y)? validationData = null, bool shuffle = true, int initialEpoch = 0,
        IReadOnlyDictionary<int, double>? classWeight = null, Tensor? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return Fit([x], [y], batchSize, epochs, verbose, callbacks, validationSplit,
            validationData is { } v ? ([v.X], [v.Y]) : null, shuffle, initialEpoch, classWeight, sampleWeight is null ? null : [sampleWeight]);
    }

    /// <summary>
    /// Trains a multi-input/multi-output model. Each epoch shuffles the samples (when
    /// <paramref name="shuffle"/>), runs <c>ceil(N / batchSize)</c> batches (the last one
    /// shorter), then evaluates the validation data: <paramref name="validationData"/>, or the last
    /// <paramref name="validationSplit"/> fraction of the samples, taken before any shuffling.
    /// Batch size defaults to 32. <paramref name="classWeight"/> (class id → weight, the class
    /// read from the target: its value for one column, its argmax otherwise) or
    /// <paramref name="sampleWeight"/> (one [N] vector per output) weight each sample's loss, not
    /// the metrics, as in Keras. Returns the History (per-epoch <c>loss</c>, metrics, <c>val_*</c>).
    /// </summary>
    public History Fit(Tensor[] x, Tensor[] y, int? batchSize = null, int epochs = 1, int verbose = 1, IEnumerable<Callback>? callbacks = null,
        double validationSplit = 0, (Tensor[] X, Tensor[] Y)? validationData = null, bool shuffle = true, int initialEpoch = 0,
        IReadOnlyDictionary<int, double>? classWeight = null, Tensor[]? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length == 0) throw new ArgumentException("fit needs input data", nameof(x));
        int bs = batchSize ?? 32;
        if (bs <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        if (validationSplit < 0 || validationSplit >= 1) throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "validation_split must be in [0, 1)");
        BuildOnData(x);
        if (!Built) throw NotBuilt();
        var xs = StandardizeX(x);
        var ys = StandardizeY(y);
        int n = CheckRows(xs, ys);
        var sw = SampleWeights(ys, classWeight, sampleWeight, n);
        Tensor[]? vx = null, vy = null;
        if (validationData is { } vd)
        {
            vx = StandardizeX(vd.X);
            vy = StandardizeY(vd.Y);
            CheckRows(vx, vy);
        }
        else if (validationSplit > 0)
        {
            int splitAt = (int)(n * (1.0 - validationSplit));
            vx = [.. xs.Select(t => Data.Slice(t, splitAt, n))];
            vy = [.. ys.Select(t => Data.Slice(t, splitAt, n))];
            xs = [.. xs.Select(t => Data.Slice(t, 0, splitAt))];
            ys = [.. ys.Select(t => Data.Slice(t, 0, splitAt))];
            sw = [.. sw.Select(t => Data.Slice(t, 0, splitAt))];
            n = splitAt;
        }
        bool doValidation = vx is not null;
        var fn = TrainFunction();
        var names = MetricsNames;
        int nOut = _outputs.Count;
        int nMetrics = _metrics.Count;
        int nLosses = names.Count - nMetrics;
        var logNames = doValidation ? [.. names, .. names.Select(k => "val_" + k)] : names.ToList();
        var history = new History();
        var cbs = new List<Callback>(callbacks ?? []) { history };
        int steps = (n + bs - 1) / bs;
        var prms = new Dictionary<string, object>
        {
            ["batch_size"] = bs, ["epochs"] = epochs, ["steps"] = steps, ["samples"] = n, ["verbose"] = verbose,
            ["do_validation"] = doValidation, ["metrics"] = logNames,
        };
        foreach (var c in cbs)
        {
            c.SetModel(this);
            c.SetParams(prms);
        }
        bool samples = ProgressUnit == ProgressUnit.Samples;
        if (verbose > 0 && samples)
            Writer.WriteLine(doValidation ? $"Train on {n} samples, validate on {vx![0].Dims[0]} samples" : $"Train on {n} samples");
        StopTraining = false;
        var empty = new Dictionary<string, double>();
        foreach (var c in cbs) c.OnTrainBegin(empty);
        var lp = Tensor.Scalar(true);
        for (int epoch = initialEpoch; epoch < epochs; epoch++)
        {
            var epochLogs = new Dictionary<string, double>();
            foreach (var c in cbs) c.OnEpochBegin(epoch, epochLogs);
            Progbar? bar = null;
            if (verbose > 0)
            {
                if (epochs > 1) Writer.WriteLine($"Epoch {epoch + 1}/{epochs}");
                bar = new Progbar(samples ? n : steps, Writer, Clock, verbose, DynamicDisplay ?? (ReferenceEquals(Writer, Console.Out) && !Console.IsOutputRedirected),
                    names.Skip(1), samples ? "sample" : "step");
            }
            var index = Data.Range(n);
            if (shuffle) Random.Shuffle(index);
            var lossSums = new double[nLosses];
            var mSum = new double[nMetrics];
            var mCount = new double[nMetrics];
            int seen = 0;
            var logValues = new List<KeyValuePair<string, double>>();
            for (int b = 0; b < steps; b++)
            {
                int start = b * bs, count = Math.Min(bs, n - start);
                var batchLogs = new Dictionary<string, double> { ["batch"] = b, ["size"] = count };
                foreach (var c in cbs) c.OnTrainBatchBegin(b, batchLogs);
                logValues.Clear();
                var feeds = new Tensor[xs.Length + 2 * ys.Length + 1];
                for (int i = 0; i < xs.Length; i++) feeds[i] = Data.Take(xs[i], index, start, count);
                for (int i = 0; i < ys.Length; i++) feeds[xs.Length + i] = Data.Take(ys[i], index, start, count);
                for (int i = 0; i < ys.Length; i++) feeds[xs.Length + ys.Length + i] = Data.Take(sw[i], index, start, count);
                feeds[^1] = lp;
                var r = fn.Run(feeds);
                for (int k = 0; k < nLosses; k++)
                {
                    double v = r[k].Scalar<float>();
                    lossSums[k] += v * count;
                    batchLogs[names[k]] = v;
                }
                for (int k = 0; k < nMetrics; k++)
                {
                    mSum[k] += r[nLosses + k].Scalar<float>();
                    mCount[k] += r[nLosses + nMetrics + k].Scalar<float>();
                    batchLogs[names[nLosses + k]] = mCount[k] > 0 ? mSum[k] / mCount[k] : 0;
                }
                foreach (var c in cbs) c.OnTrainBatchEnd(b, batchLogs);
                seen += samples ? count : 1;
                foreach (var k in logNames) if (batchLogs.TryGetValue(k, out var v)) logValues.Add(new(k, v));
                if (bar is not null && seen < bar.Target) bar.Update(seen, logValues);
            }
            for (int k = 0; k < nLosses; k++) epochLogs[names[k]] = n > 0 ? lossSums[k] / n : 0;
            for (int k = 0; k < nMetrics; k++) epochLogs[names[nLosses + k]] = mCount[k] > 0 ? mSum[k] / mCount[k] : 0;
            if (doValidation)
            {
                var vals = TestLoop(vx!, vy!, bs);
                for (int k = 0; k < names.Count; k++) epochLogs["val_" + names[k]] = vals[k];
            }
            foreach (var c in cbs) c.OnEpochEnd(epoch, epochLogs);
            if (bar is not null)
            {
                foreach (var k in logNames) if (epochLogs.TryGetValue(k, out var v)) logValues.Add(new(k, v));
                bar.Update(seen, logValues);
            }
            if (StopTraining) break;
        }
        foreach (var c in cbs) c.OnTrainEnd(empty);
        History = history;
        return history;
    }

    /// <summary>Per-sample loss weights for each output: given, from class weights, or ones.</summary>
    private Tensor[] SampleWeights(Tensor[] ys, IReadOnlyDictionary<int, double>? classWeight, Tensor[]? sampleWeight, int n)
    {
        if (sampleWeight is not null)
        {
            if (classWeight is not null) throw new ArgumentException("Pass classWeight or sampleWeight, not both");
            if (sampleWeight.Length != ys.Length) throw new ArgumentException($"sampleWeight needs one vector per output ({ys.Length}), got {sampleWeight.Length}");
            return [.. sampleWeight.Select(t =>
            {
                var f = Data.ToFloat32(t);
                if (f.Dims.Length != 1 || f.Dims[0] != n) throw new ArgumentException($"Found a sample_weight array with shape ({string.Join(", ", f.Dims.ToArray())}) for an input with shape ({n}). sample_weight cannot be broadcast.");
                return f;
            })];
        }
        var result = new Tensor[ys.Length];
        for (int o = 0; o < ys.Length; o++)
        {
            var w = new float[n];
            if (classWeight is null) Array.Fill(w, 1f);
            else
            {
                var y = ys[o].ToArray<float>();
                int width = n == 0 ? 1 : y.Length / n;
                for (int i = 0; i < n; i++)
                {
                    int cls;
                    if (width == 1) cls = (int)y[i];
                    else
                    {
                        cls = 0;
                        for (int j = 1; j < width; j++) if (y[i * width + j] > y[i * width + cls]) cls = j;
                    }
                    w[i] = classWeight.TryGetValue(cls, out var cw) ? (float)cw : 1f;
                }
            }
            result[o] = Tensor.Create(w, n);
        }
        return result;
    }

    private double[] TestLoop(Tensor[] xs, Tensor[] ys, int bs, Progbar? bar = null)
    {
        var fn = TestFunction();
        int n = CheckRows(xs, ys);
        int nMetrics = _metrics.Count;
        int nLosses = MetricsNames.Count - nMetrics;
        var lossSums = new double[nLosses];
        var mSum = new double[nMetrics];
        var mCount = new double[nMetrics];
        var index = Data.Range(n);
        int steps = (n + bs - 1) / bs;
        bool samples = ProgressUnit == ProgressUnit.Samples;
        int seen = 0;
        for (int b = 0; b < steps; b++)
        {
            int start = b * bs, count = Math.Min(bs, n - start);
            var feeds = new Tensor[xs.Length + ys.Length];
            for (int i = 0; i < xs.Length; i++) feeds[i] = Data.Take(xs[i], index, start, count);
            for (int i = 0; i < ys.Length; i++) feeds[xs.Length + i] = Data.Take(ys[i], index, start, count);
            var r = fn.Run(feeds);
            for (int k = 0; k < nLosses; k++) lossSums[k] += r[k].Scalar<float>() * (double)count;
            for (int k = 0; k < nMetrics; k++)
            {
                mSum[k] += r[nLosses + k].Scalar<float>();
                mCount[k] += r[nLosses + nMetrics + k].Scalar<float>();
            }
            seen += samples ? count : 1;
            if (bar is not null && seen < bar.Target) bar.Update(seen);
        }
        var res = new double[nLosses + nMetrics];
        for (int k = 0; k < nLosses; k++) res[k] = n > 0 ? lossSums[k] / n : 0;
        for (int k = 0; k < nMetrics; k++) res[nLosses + k] = mCount[k] > 0 ? mSum[k] / mCount[k] : 0;
        return res;
    }

    // ------------------------------------------------------------------ evaluate / predict

    /// <summary>The loss and metrics on one input and target, in <see cref="MetricsNames"/> order (Keras's <c>evaluate</c>).</summary>
    public double[] Evaluate(Tensor x, Tensor y, int? batchSize = null, int verbose = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return Evaluate([x], [y], batchSize, verbose);
    }

    /// <summary>The loss and metrics on several inputs and targets; batch size defaults to 32; the learning phase stays false.</summary>
    public double[] Evaluate(Tensor[] x, Tensor[] y, int? batchSize = null, int verbose = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int bs = batchSize ?? 32;
        if (bs <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        BuildOnData(x);
        if (!Built) throw NotBuilt();
        var xs = StandardizeX(x);
        var ys = StandardizeY(y);
        int n = CheckRows(xs, ys);
        EnsureLoss();
        var names = MetricsNames;
        bool samples = ProgressUnit == ProgressUnit.Samples;
        int target = samples ? n : (n + bs - 1) / bs;
        var bar = verbose > 0 ? new Progbar(target, Writer, Clock, verbose, DynamicDisplay ?? (ReferenceEquals(Writer, Console.Out) && !Console.IsOutputRedirected),
            names, samples ? "sample" : "step") : null;
        var res = TestLoop(xs, ys, bs, bar);
        bar?.Update(target, [.. names.Select((k, i) => new KeyValuePair<string, double>(k, res[i]))]);
        return res;
    }

    /// <summary>The outputs for every sample of one input, batch by batch, joined (Keras's <c>predict</c>; batch size 32 by default).</summary>
    public Tensor Predict(Tensor x, int? batchSize = null, int verbose = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        var r = PredictMany([x], batchSize, verbose);
        if (r.Length != 1) throw new InvalidOperationException($"The model has {r.Length} outputs; use PredictMany");
        return r[0];
    }

    /// <summary>Every output for every sample of several inputs.</summary>
    public Tensor[] PredictMany(Tensor[] x, int? batchSize = null, int verbose = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        int bs = batchSize ?? 32;
        if (bs <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        BuildOnData(x);
        if (!Built) throw NotBuilt();
        var xs = StandardizeX(x);
        int n = CheckRows(xs, null);
        var fn = PredictFunction();
        bool samples = ProgressUnit == ProgressUnit.Samples;
        int steps = (n + bs - 1) / bs;
        var bar = verbose > 0 ? new Progbar(samples ? n : steps, Writer, Clock, verbose, DynamicDisplay ?? (ReferenceEquals(Writer, Console.Out) && !Console.IsOutputRedirected),
            null, samples ? "sample" : "step") : null;
        var parts = _outputs.Select(_ => new List<Tensor>()).ToArray();
        var index = Data.Range(n);
        int seen = 0;
        for (int b = 0; b < steps; b++)
        {
            int start = b * bs, count = Math.Min(bs, n - start);
            var r = fn.Run([.. xs.Select(t => Data.Take(t, index, start, count))]);
            // The callable may hand back the same buffers on the next run: keep copies.
            for (int i = 0; i < r.Length; i++) parts[i].Add(Data.Take(r[i], Data.Range(r[i].Dims[0]), 0, r[i].Dims[0]));
            seen += samples ? count : 1;
            bar?.Update(seen);
        }
        return [.. parts.Select(Data.ConcatRows)];
    }

    // ------------------------------------------------------------------ weights

    /// <summary>The weights' current values (<see cref="Weights"/> order).</summary>
    public Tensor[] GetWeights()
    {
        var ws = Weights;
        if (ws.Count == 0) return [];
        InitializeVariables();
        return Session.Run([.. ws.Select(v => v.Value)], null);
    }

    /// <summary>Writes the weights (<see cref="Weights"/> order; shapes must match).</summary>
    public void SetWeights(IReadOnlyList<Tensor> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var ws = Weights;
        if (values.Count != ws.Count)
            throw new ArgumentException($"You called `SetWeights(weights)` on model {Name} with a weight list of length {values.Count}, but the model was expecting {ws.Count} weights.", nameof(values));
        InitializeVariables();
        var g = Graph;
        var feeds = new FeedDict();
        var ops = new List<Operation>();
        for (int i = 0; i < ws.Count; i++)
        {
            var v = ws[i];
            if (!v.Shape.IsCompatibleWith(values[i].Dims))
                throw new ArgumentException($"Layer weight shape {v.Shape} not compatible with provided weight shape ({string.Join(", ", values[i].Dims.ToArray())}) for {v.Name}", nameof(values));
            if (!_assigns.TryGetValue(v, out var a))
            {
                using (g.NameScope(null))
                using (g.ControlDependencies((Operation[]?)null))
                {
                    var ph = g.Placeholder(v.DType, v.Shape, name: v.Name + "/assign_placeholder");
                    a = (ph, g.Assign(v, ph, name: v.Name + "/assign").Op);
                }
                _assigns[v] = a;
            }
            feeds[a.Feed] = values[i].DType == v.DType ? values[i] : Data.ToFloat32(values[i]);
            ops.Add(a.Assign);
        }
        Session.Run([], feeds, [.. ops]);
    }

    private Saver WeightsSaver() => _saver ??= new Saver(Weights, maxToKeep: 1000);

    /// <summary>
    /// Saves the weights (Keras's <c>save_weights</c>): a path ending in <c>.h5</c>/<c>.hdf5</c>
    /// gets Keras's HDF5 layout (a group per layer, <c>weight_names</c>, datasets
    /// <c>dense/dense/kernel:0</c>); any other path a TF checkpoint whose keys are the variable names.
    /// Returns the path written (the checkpoint prefix).
    /// </summary>
    public string SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Built) throw NotBuilt();
        InitializeVariables();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        if (H5Weights.IsH5Path(path))
        {
            H5Weights.Save(path, Layers, ws => Session.Run([.. ws.Select(v => v.Value)], null));
            return path;
        }
        return WeightsSaver().Save(Session, path);
    }

    /// <summary>
    /// Saves the whole model. A <c>.h5</c>/<c>.hdf5</c> path gets Keras's HDF5 file
    /// (<c>model_config</c> JSON and <c>model_weights</c>; Sequential and functional models of
    /// Dense, Activation, Dropout, Flatten, Reshape, Conv1D, Conv2D, pooling, BatchNormalization,
    /// Add, Multiply, Concatenate, Embedding, SimpleRNN, LSTM, GRU and Bidirectional layers; the
    /// optimizer state is not saved). Any other path is a
    /// directory that gets a TF1 SavedModel (tf.keras 1.15's <c>export_saved_model</c> for
    /// serving): tag <c>serve</c>, a <c>serving_default</c> Predict signature whose inputs are keyed
    /// by the input layers' names and outputs by <see cref="OutputNames"/>, and the model's weights
    /// under <c>variables/</c> — what <c>SavedModelBundle.Load</c>, <c>tensorgraph run</c> and
    /// <c>tensorgraph serve</c> load. The learning phase is left at its default (inference).
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Built) throw NotBuilt();
        InitializeVariables();
        if (!H5Weights.IsH5Path(path))
        {
            var inputs = new Dictionary<string, Output>(StringComparer.Ordinal);
            foreach (var t in _inputs) inputs[t.Layer.Name] = t.Output;
            var outputs = new Dictionary<string, Output>(StringComparer.Ordinal);
            for (int i = 0; i < _outputs.Count; i++) outputs[_outputNames[i]] = _outputs[i].Output;
            new SavedModelBuilder(path)
                .AddMetaGraphAndVariables(Session, [SavedModelBundle.ServeTag],
                    new Dictionary<string, Proto.SignatureDef> { [SignatureDefs.DefaultServingKey] = SignatureDefs.Predict(inputs, outputs) }, variables: Weights)
                .Save();
            return;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        H5Model.Save(this, path);
    }

    /// <summary>
    /// Loads weights saved by <see cref="SaveWeights"/>: from a <c>.h5</c> file layer by layer in
    /// order among the layers with weights (as Keras loads them), from a checkpoint by variable name.
    /// </summary>
    public void LoadWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Built) throw NotBuilt();
        if (H5Weights.IsH5Path(path))
        {
            SetWeights(H5Weights.Load(path, Layers));
            return;
        }
        WeightsSaver().Restore(Session, path);
        Backend.MarkInitialized(Graph, Weights);
    }

    // ------------------------------------------------------------------ summary

    /// <summary>Prints Keras's summary table to <paramref name="printFn"/> (default <see cref="Writer"/>).</summary>
    public void Summary(int lineLength = -1, Action<string>? printFn = null)
    {
        if (!Built) throw new InvalidOperationException("This model has not yet been built. Build the model first by calling `Build()` or calling `Fit()` with some data, or specify an `inputShape` argument in the first layer(s) for automatic build.");
        printFn ??= Writer.WriteLine;
        var layers = Layers;
        bool sequentialLike = this is Sequential || (_inputs.Count == 1 && _outputs.Count == 1 &&
            layers.All(l => l.Calls.Count <= 1 && (l is InputLayer || (l.Calls.Count == 1 && l.Calls[0].Inputs.Count == 1))));
        int width = lineLength > 0 ? lineLength : sequentialLike ? 65 : 98;
        double[] fr = sequentialLike ? [.45, .85, 1] : [.33, .55, .67, 1];
        int[] pos = [.. fr.Select(p => (int)(width * p))];
        string[] header = sequentialLike ? ["Layer (type)", "Output Shape", "Param #"] : ["Layer (type)", "Output Shape", "Param #", "Connected to"];
        void Row(string[] fields)
        {
            var line = "";
            for (int i = 0; i < fields.Length; i++)
            {
                if (i > 0) line = line[..^1] + " ";
                line += fields[i];
                if (line.Length > pos[i]) line = line[..pos[i]];
                line += new string(' ', pos[i] - line.Length);
            }
            printFn(line);
        }
        printFn($"Model: \"{Name}\"");
        printFn(new string('_', width));
        Row(header);
        printFn(new string('=', width));
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            string shape = l is InputLayer il ? "[" + ShapeText(il.Tensor(Graph).Shape) + "]" : l.Calls.Count > 0 ? ShapesText(l.Outputs) : "multiple";
            string name = $"{l.Name} ({l.GetType().Name})";
            string parms = l.CountParams().ToString(CultureInfo.InvariantCulture);
            if (sequentialLike) Row([name, shape, parms]);
            else
            {
                var conns = l.Calls.Count == 0 ? [] : l.Calls[0].Inputs.Select(t => $"{t.Layer.Name}[{Math.Max(0, t.Layer.Calls.Select(c => c.Outputs).ToList().FindIndex(o => o.Contains(t)))}][{t.Index}]").ToList();
                Row([name, shape, parms, conns.Count > 0 ? conns[0] : ""]);
                for (int c = 1; c < conns.Count; c++) Row(["", "", "", conns[c]]);
            }
            printFn(new string(i == layers.Count - 1 ? '=' : '_', width));
        }
        long trainable = TrainableWeights.Sum(v => v.Shape.NumElements);
        long nonTrainable = NonTrainableWeights.Sum(v => v.Shape.NumElements);
        printFn("Total params: " + (trainable + nonTrainable).ToString("N0", CultureInfo.InvariantCulture));
        printFn("Trainable params: " + trainable.ToString("N0", CultureInfo.InvariantCulture));
        printFn("Non-trainable params: " + nonTrainable.ToString("N0", CultureInfo.InvariantCulture));
        printFn(new string('_', width));
    }

    /// <summary>One output's shape, or a list of them as Keras prints several: <c>[(None, 4), (None, 4)]</c>.</summary>
    private static string ShapesText(IReadOnlyList<KerasTensor> outputs) =>
        outputs.Count == 1 ? ShapeText(outputs[0].Shape) : "[" + string.Join(", ", outputs.Select(o => ShapeText(o.Shape))) + "]";

    /// <summary>A shape as Python prints a Keras shape tuple: <c>(None, 512)</c>, <c>(None,)</c>.</summary>
    internal static string ShapeText(Shape s)
    {
        if (!s.IsRankKnown) return "None";
        var d = s.ToArray().Select(x => x < 0 ? "None" : x.ToString(CultureInfo.InvariantCulture)).ToArray();
        return d.Length == 1 ? $"({d[0]},)" : $"({string.Join(", ", d)})";
    }
}
