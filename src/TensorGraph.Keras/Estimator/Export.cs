using System.Globalization;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Estimator;

/// <summary>
/// TF's <c>tf.estimator.export.ServingInputReceiver</c>: what a serving input receiver function
/// returns — the <see cref="Features"/> the model function is called with, the
/// <see cref="ReceiverTensors"/> a server feeds (the inputs of every exported signature), and
/// optional alternative groups of receiver tensors (each gives signatures
/// <c>&lt;alternative&gt;:&lt;output key&gt;</c>). Single tensors are wrapped as TF wraps them:
/// features under <c>"feature"</c> (use <see cref="TensorServingInputReceiver"/> to pass one as it
/// is), receiver tensors under <c>"input"</c>.
/// </summary>
public class ServingInputReceiver
{
    /// <summary>The key of a single feature tensor (TF's <c>SINGLE_FEATURE_DEFAULT_NAME</c>).</summary>
    public const string SingleFeatureKey = "feature";

    /// <summary>The key of a single receiver tensor (TF's <c>SINGLE_RECEIVER_DEFAULT_NAME</c>).</summary>
    public const string SingleReceiverKey = "input";

    /// <summary>Creates the receiver; every tensor must be in one graph.</summary>
    public ServingInputReceiver(TensorDict features, TensorDict receiverTensors, IReadOnlyDictionary<string, TensorDict>? receiverTensorsAlternatives = null)
        : this(features, receiverTensors, receiverTensorsAlternatives, wrapFeatures: true)
    {
    }

    /// <summary>The receiver; <paramref name="wrapFeatures"/> false keeps a single feature tensor as it is (<see cref="TensorServingInputReceiver"/>).</summary>
    private protected ServingInputReceiver(TensorDict features, TensorDict receiverTensors, IReadOnlyDictionary<string, TensorDict>? receiverTensorsAlternatives, bool wrapFeatures)
    {
        if (features is null) throw new ArgumentException("features must be defined.");
        if (receiverTensors is null) throw new ArgumentException("receiver_tensors must be defined.");
        Features = wrapFeatures ? Wrap(features, SingleFeatureKey) : features;
        ReceiverTensors = Wrap(receiverTensors, SingleReceiverKey).Items!;
        var alternatives = new Dictionary<string, IReadOnlyDictionary<string, Output>>(StringComparer.Ordinal);
        foreach (var (name, alt) in receiverTensorsAlternatives ?? new Dictionary<string, TensorDict>())
        {
            if (alt is null) throw new ArgumentException($"receiver_tensors_alternative '{name}' must be defined.");
            alternatives[name] = Wrap(alt, SingleReceiverKey).Items!;
        }
        ReceiverTensorsAlternatives = alternatives;
        var graph = Features.Graph;
        foreach (var t in ReceiverTensors.Values.Concat(alternatives.Values.SelectMany(a => a.Values)))
        {
            if (!ReferenceEquals(t.Op.Graph, graph))
                throw new ArgumentException($"The receiver tensor '{t.Name}' is not in the graph of the features");
        }
    }

    private static TensorDict Wrap(TensorDict t, string key) => t.IsDictionary ? t : new TensorDict([new KeyValuePair<string, Output>(key, t.Single!.Value)]);

    /// <summary>The features the model function receives.</summary>
    public TensorDict Features { get; }

    /// <summary>The tensors a server feeds, by input key.</summary>
    public IReadOnlyDictionary<string, Output> ReceiverTensors { get; }

    /// <summary>Alternative groups of receiver tensors, by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Output>> ReceiverTensorsAlternatives { get; }
}

/// <summary>
/// TF's <c>tf.estimator.export.TensorServingInputReceiver</c>: a <see cref="ServingInputReceiver"/>
/// for a model whose features are one tensor, passed to the model function as it is.
/// </summary>
public sealed class TensorServingInputReceiver : ServingInputReceiver
{
    /// <summary>Creates the receiver for the single feature tensor <paramref name="features"/>.</summary>
    public TensorServingInputReceiver(Output features, TensorDict receiverTensors, IReadOnlyDictionary<string, TensorDict>? receiverTensorsAlternatives = null)
        : base(new TensorDict(features), receiverTensors, receiverTensorsAlternatives, wrapFeatures: false)
    {
    }
}

/// <summary>TF's <c>serving_input_receiver_fn()</c>: builds the serving inputs in <paramref name="graph"/> (the export's fresh graph).</summary>
public delegate ServingInputReceiver ServingInputReceiverFn(Graph graph);

/// <summary>TF's <c>tf.estimator.export</c> helpers for serving input receivers.</summary>
public static class ServingInput
{
    /// <summary>
    /// TF's <c>build_raw_serving_input_receiver_fn(features, default_batch_size)</c>: one placeholder
    /// per feature, named by its key, with the dtype of the example array and its shape after the
    /// first (batch) dimension, the batch dimension being <paramref name="defaultBatchSize"/> or
    /// unknown; the placeholders are both the features and the receiver tensors.
    /// </summary>
    public static ServingInputReceiverFn BuildRawServingInputReceiverFn(IReadOnlyDictionary<string, Tensor> features, int? defaultBatchSize = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        var specs = features.ToDictionary(kv => kv.Key, kv =>
        {
            ArgumentNullException.ThrowIfNull(kv.Value, kv.Key);
            if (kv.Value.Rank == 0) throw new ArgumentException($"The feature '{kv.Key}' is a scalar; the first dimension of each feature is its batch dimension");
            return (kv.Value.DType, new Shape(kv.Value.Dims[1..].ToArray()));
        }, StringComparer.Ordinal);
        return BuildRawServingInputReceiverFn(specs, defaultBatchSize);
    }

    /// <summary>
    /// <see cref="BuildRawServingInputReceiverFn(IReadOnlyDictionary{string, Tensor}, int?)"/> from each
    /// feature's dtype and shape of one example (without the batch dimension).
    /// </summary>
    public static ServingInputReceiverFn BuildRawServingInputReceiverFn(IReadOnlyDictionary<string, (DType DType, Shape ExampleShape)> features, int? defaultBatchSize = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0) throw new ArgumentException("features cannot be empty");
        if (defaultBatchSize is <= 0) throw new ArgumentException($"default_batch_size must be positive, got {defaultBatchSize}");
        var specs = features.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        foreach (var (k, (_, shape)) in specs)
        {
            ArgumentNullException.ThrowIfNull(shape, k);
            if (!shape.IsRankKnown) throw new ArgumentException($"The shape of feature '{k}' must have a known rank");
        }
        return g =>
        {
            var placeholders = new Dictionary<string, Output>(StringComparer.Ordinal);
            foreach (var (k, (dtype, shape)) in specs)
                placeholders[k] = g.Placeholder(dtype, new Shape([defaultBatchSize ?? -1, .. shape.ToArray()]), k);
            return new ServingInputReceiver(placeholders, placeholders);
        };
    }

    /// <summary>
    /// TF's <c>build_parsing_serving_input_receiver_fn(feature_spec, default_batch_size)</c> for
    /// <c>FixedLenFeature</c>s: a string placeholder <c>input_example_tensor</c> of shape
    /// [<paramref name="defaultBatchSize"/>] (the receiver tensor <c>"examples"</c>) holding serialized
    /// <c>tf.Example</c>s, parsed by <c>ParseExample</c> into one dense feature per key: of
    /// <c>Shape</c> per example and <c>DType</c> (float32, int64 or string), with
    /// <c>DefaultValue</c> filling an example that lacks the feature (null: the feature is required).
    /// </summary>
    public static ServingInputReceiverFn BuildParsingServingInputReceiverFn(
        IReadOnlyDictionary<string, (Shape Shape, DType DType, Tensor? DefaultValue)> featureSpec, int? defaultBatchSize = null)
    {
        ArgumentNullException.ThrowIfNull(featureSpec);
        if (featureSpec.Count == 0) throw new ArgumentException("feature_spec cannot be empty");
        if (defaultBatchSize is <= 0) throw new ArgumentException($"default_batch_size must be positive, got {defaultBatchSize}");
        var specs = featureSpec.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        foreach (var (k, (shape, dtype, def)) in specs)
        {
            ArgumentNullException.ThrowIfNull(shape, k);
            if (!shape.IsFullyDefined) throw new ArgumentException($"The FixedLenFeature '{k}' needs a fully defined shape, got {shape}");
            if (dtype is not (DType.Float32 or DType.Int64 or DType.String))
                throw new ArgumentException($"The FixedLenFeature '{k}' has dtype {dtype.Name()}; tf.Example holds float32, int64 and string features");
            if (def is not null && (def.DType != dtype || def.Size != shape.NumElements))
                throw new ArgumentException($"The default value of feature '{k}' must be a {dtype.Name()} tensor of {shape.NumElements} elements, got a {def.DType.Name()} tensor of shape {def.Shape}");
        }
        return g =>
        {
            var serialized = g.Placeholder(DType.String, new Shape([defaultBatchSize ?? -1]), "input_example_tensor");
            var defaults = specs.Select(kv =>
            {
                var (shape, dtype, def) = kv.Value;
                var value = def is null ? Tensor.Zeros(dtype, 0) : def.Reshape(shape.ToArray());
                return g.Constant(value, name: "Const");
            }).ToArray();
            var parsed = g.ParseExample(serialized, [.. specs.Select(kv => kv.Key)], defaults, [.. specs.Select(kv => kv.Value.Shape)]);
            var features = new Dictionary<string, Output>(StringComparer.Ordinal);
            for (int i = 0; i < specs.Length; i++) features[specs[i].Key] = parsed[i];
            return new ServingInputReceiver(features, new Dictionary<string, Output> { ["examples"] = serialized });
        };
    }
}

public partial class Estimator
{
    private const int MaxDirectoryCreationAttempts = 10;

    /// <summary>
    /// TF's <c>Estimator.export_saved_model(export_dir_base, serving_input_receiver_fn,
    /// assets_extra, as_text, checkpoint_path)</c> (formerly <c>export_savedmodel</c>): builds a fresh
    /// graph in PREDICT mode from the serving input receiver (with the global step and the graph
    /// seed), restores <paramref name="checkpointPath"/> or the latest checkpoint into it (none is
    /// TF's ValueError "Couldn't find trained model at …"), and writes a TF1 SavedModel tagged
    /// <c>serve</c> with its variables: one Predict signature per entry of the spec's
    /// <see cref="EstimatorSpec.ExportOutputs"/> (inputs: the receiver tensors; one per receiver
    /// alternative and output as <c>alternative:key</c>) and the local-variable initializer as its main
    /// op. The model goes to a <c>temp-&lt;seconds&gt;</c> folder and is then renamed to
    /// <paramref name="exportDirBase"/>/&lt;Unix seconds&gt;, which is new: an export in the same second as
    /// an earlier one waits for the next second (up to ten times), as TF does. Each file of
    /// <paramref name="assetsExtra"/> (destination relative to <c>assets.extra</c> → source file) is
    /// copied. Returns the export directory.
    /// </summary>
    public string ExportSavedModel(string exportDirBase, ServingInputReceiverFn servingInputReceiverFn, IReadOnlyDictionary<string, string>? assetsExtra = null,
        bool asText = false, string? checkpointPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(exportDirBase);
        if (servingInputReceiverFn is null) throw new ArgumentException("An input_receiver_fn must be defined.");
        var checkpoint = checkpointPath ?? LatestCheckpoint() ?? throw new InvalidOperationException($"Couldn't find trained model at {ModelDir}.");
        var exportDir = TimestampedExportDir(exportDirBase);
        var tempDir = Path.Combine(Path.GetDirectoryName(exportDir)!, "temp-" + Path.GetFileName(exportDir));
        try
        {
            var g = NewGraph(out _);
            var receiver = servingInputReceiverFn(g) ?? throw new InvalidOperationException("serving_input_receiver_fn returned null");
            if (!ReferenceEquals(receiver.Features.Graph, g)) throw new InvalidOperationException("serving_input_receiver_fn must build its tensors in the graph it is given");
            var spec = CallModelFn(receiver.Features, null, ModeKeys.Predict);
            var signatures = BuildSignatureDefs(receiver, spec.ExportOutputs);
            var mainOp = g.Group([g.LocalVariablesInitializer()], "group_deps");
            using var s = new Session(g);
            try
            {
                new Saver(g.GlobalVariables).Restore(s, checkpoint);
            }
            catch (NotFoundException e)
            {
                throw new InvalidOperationException("Could not load all requested variables from checkpoint. Please make sure your model_fn does not expect variables "
                    + $"that were not saved in the checkpoint.\n\nEncountered error with mode `{ModeKeys.Predict}` while restoring checkpoint from: `{checkpoint}`. "
                    + $"Full Traceback:\n\n{e.Message}", e);
            }
            Log($"Restoring parameters from {checkpoint}");
            var builder = new SavedModelBuilder(tempDir);
            builder.AddMetaGraphAndVariables(s, [SavedModelBundle.ServeTag], signatures, mainOp);
            var written = builder.Save(asText);
            Log($"SavedModel written to: {written}");
            foreach (var (dest, source) in assetsExtra ?? new Dictionary<string, string>())
            {
                var target = Path.Combine(tempDir, "assets.extra", dest);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
            }
            Directory.Move(tempDir, exportDir);
        }
        catch
        {
            if (Directory.Exists(tempDir)) Directory.Delete(tempDir, recursive: true);
            throw;
        }
        return exportDir;
    }

    /// <summary>TF's <c>build_all_signature_defs</c> for serving: Predict signatures over the receiver tensors and each alternative.</summary>
    private Dictionary<string, SignatureDef> BuildSignatureDefs(ServingInputReceiver receiver, IReadOnlyDictionary<string, IReadOnlyDictionary<string, Output>> exportOutputs)
    {
        if (exportOutputs.Count == 0) throw new InvalidOperationException("export_outputs must be a dict: the PREDICT spec has no export outputs");
        var map = new Dictionary<string, SignatureDef>(StringComparer.Ordinal);
        foreach (var (key, outputs) in exportOutputs) Add(key, receiver.ReceiverTensors, outputs);
        foreach (var (alt, tensors) in receiver.ReceiverTensorsAlternatives)
        {
            foreach (var (key, outputs) in exportOutputs) Add($"{alt}:{key}", tensors, outputs);
        }
        if (map.Count == 0) throw new InvalidOperationException("No valid signatures to export: every signature needs inputs and outputs");
        Log("Signatures INCLUDED in export for Predict: " + string.Join(", ", map.Keys.Order(StringComparer.Ordinal)));
        return map;

        void Add(string name, IReadOnlyDictionary<string, Output> inputs, IReadOnlyDictionary<string, Output> outputs)
        {
            try
            {
                map[name] = SignatureDefs.Predict(inputs, outputs);
            }
            catch (InvalidArgumentException e)
            {
                Log($"WARNING: Export signature '{name}' excluded: {e.Message}");
            }
        }
    }

    /// <summary>
    /// TF's <c>get_timestamped_export_dir</c>: <paramref name="exportDirBase"/>/&lt;Unix seconds&gt;, not
    /// yet existing (nor its <c>temp-</c> folder); when taken, waits for the next second, up to ten times.
    /// </summary>
    private string TimestampedExportDir(string exportDirBase)
    {
        for (int attempt = 1; ; attempt++)
        {
            var now = DateTimeOffset.UtcNow;
            var name = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var dir = Path.Combine(exportDirBase, name);
            if (!Directory.Exists(dir) && !File.Exists(dir) && !Directory.Exists(Path.Combine(exportDirBase, "temp-" + name))) return dir;
            if (attempt == MaxDirectoryCreationAttempts)
                throw new InvalidOperationException($"Failed to obtain a unique export directory name after {MaxDirectoryCreationAttempts} attempts.");
            Log($"WARNING: Directory {dir} already exists; retrying (attempt {attempt}/{MaxDirectoryCreationAttempts})");
            Thread.Sleep(1001 - (int)(now.ToUnixTimeMilliseconds() % 1000));
        }
    }
}
