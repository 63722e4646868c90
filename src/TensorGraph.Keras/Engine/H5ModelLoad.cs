using System.Text.Json;
using System.Text.Json.Nodes;
using PureHDF;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras;

/// <summary>
/// Reading Keras's full-model HDF5 file as Keras 2.x writes it (<c>hdf5_format.load_model_from_hdf5</c>):
/// the <c>model_config</c> of a <c>Sequential</c> (with or without a leading <c>InputLayer</c>) or of a
/// graph network (<c>Model</c>/<c>Functional</c>: <c>layers</c> with <c>inbound_nodes</c>,
/// <c>input_layers</c>, <c>output_layers</c>), the weights under <c>model_weights/&lt;layer&gt;/...</c>,
/// and the <c>training_config</c> the model is compiled from.
/// </summary>
internal static partial class H5Model
{
    public static Model Load(string path, bool compile)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No file or directory found at {path}", path);
        using var file = H5File.OpenRead(path);
        if (!file.AttributeExists("model_config")) throw new ArgumentException($"No model found in config file: {path}");
        if (file.AttributeExists("keras_version") && ReadString(file, "keras_version").StartsWith("1.", StringComparison.Ordinal))
            throw new NotSupportedException($"{path}: the model was written by Keras {ReadString(file, "keras_version")}; Keras 1 files are not supported (Keras 2.x ones are)");
        var model = FromModelConfig(ParseJson(ReadString(file, "model_config"), path, "model_config"), path);
        var weights = file.Group("model_weights");
        if (model.Built) model.SetWeights(H5Weights.ReadByName(weights, model.Layers, path));
        else if (H5Weights.Strings(weights, "layer_names").Any(n => H5Weights.Strings(weights.Group(n), "weight_names").Length > 0))
            throw new InvalidDataException($"{path}: the model config has no input shape, yet model_weights holds weights");
        // else: a Sequential saved before it was built (Keras loads it unbuilt; it builds on its first data).
        if (compile && file.AttributeExists("training_config"))
        {
            CompileFromConfig(model, ParseJson(ReadString(file, "training_config"), path, "training_config"), path);
            if (model.Built && file.LinkExists("optimizer_weights")) RestoreOptimizerWeights(model, file.Group("optimizer_weights"), path);
        }
        return model;
    }

    /// <summary>
    /// Keras's <c>load_model</c> restoring <c>optimizer_weights</c>: the optimizer's <c>iter</c> and
    /// slots, matched by name (<c>Adam/iter:0</c>, <c>Adam/dense/kernel/m:0</c>, with or without a
    /// leading <c>training/</c>). As in Keras, a saved state that does not fit (old Keras's unnamed
    /// <c>Variable:0</c> slots, another optimizer) is left out with a warning and training starts
    /// from a fresh state.
    /// </summary>
    private static void RestoreOptimizerWeights(Model model, IH5Group group, string path)
    {
        var names = H5Weights.Strings(group, "weight_names");
        if (names.Length == 0) return;
        model.BuildTrainFunction();
        var opt = model.Optimizer!;
        var targets = new List<(Variable Var, string Name)>();
        string? problem = null;
        foreach (var n in names)
        {
            var key = n.EndsWith(":0", StringComparison.Ordinal) ? n[..^2] : n;
            Variable? v = null;
            if (key.EndsWith("/iter", StringComparison.Ordinal) || key.EndsWith("/iterations", StringComparison.Ordinal)) v = opt.Iterations;
            else
            {
                int cut = key.LastIndexOf('/');
                string slot = key[(cut + 1)..], varPath = cut < 0 ? "" : key[..cut];
                var owner = model.TrainableWeights.FirstOrDefault(w => varPath == opt.Name + "/" + w.Name || varPath.EndsWith("/" + opt.Name + "/" + w.Name, StringComparison.Ordinal));
                if (owner is not null)
                    try { v = opt.GetSlot(owner, slot); }
                    catch (KeyNotFoundException) { }
            }
            if (v is null) { problem = $"no {opt.Name} state variable matches the saved {n}"; break; }
            var dims = group.Dataset(n).Space.Dimensions.Select(d => checked((int)d)).ToArray();
            if (!v.Shape.IsCompatibleWith(dims)) { problem = $"{n} has shape ({string.Join(", ", dims)}), but {v.Name} has {v.Shape}"; break; }
            targets.Add((v, n));
        }
        if (problem is null && targets.Count != opt.Weights.Count) problem = $"the file holds {targets.Count} optimizer weights, the optimizer has {opt.Weights.Count}";
        if (problem is not null)
        {
            model.Writer.WriteLine($"WARNING: Error in loading the saved optimizer state from {path} ({problem}). As a result, your model is starting with a freshly initialized optimizer.");
            return;
        }
        var g = model.Graph;
        var feeds = new FeedDict();
        var ops = new List<Operation>();
        foreach (var (v, n) in targets)
        {
            var ds = group.Dataset(n);
            var dims = ds.Space.Dimensions.Select(d => (int)d).ToArray();
            Tensor value = v.DType == DType.Int64 ? Tensor.Create(ds.Read<long[]>(), dims) : Tensor.Create(ds.Read<float[]>(), dims);
            using (g.NameScope(null))
            using (g.ControlDependencies((Operation[]?)null))
            {
                var ph = g.Placeholder(v.DType, v.Shape, name: v.Name + "/restore_placeholder");
                ops.Add(g.Assign(v, ph, name: v.Name + "/restore").Op);
                feeds[ph] = value;
            }
        }
        model.Session.Run([], feeds, [.. ops]);
    }

    /// <summary>A model from its config JSON (<c>model.to_json()</c> or the file's <c>model_config</c>); <paramref name="source"/> names it in errors.</summary>
    public static Model FromModelConfig(JsonNode root, string source)
    {
        var cls = (string?)root["class_name"];
        var cfg = root["config"] ?? throw new InvalidDataException($"{source}: the model config has no \"config\"");
        if (root["keras_version"] is JsonValue kv && ((string?)kv)?.StartsWith("1.", StringComparison.Ordinal) == true)
            throw new NotSupportedException($"{source}: the model was written by Keras {(string?)kv}; Keras 1 configs are not supported (Keras 2.x ones are)");
        return cls switch
        {
            "Sequential" => LoadSequential(cfg, source),
            "Model" or "Functional" => LoadFunctional(cfg.AsObject(), source),
            _ => throw new NotSupportedException($"{source}: loading a model of class {cls} is not supported (Sequential, Model and Functional are)"),
        };
    }

    public static JsonNode ParseJson(string text, string path, string what)
    {
        try
        {
            return JsonNode.Parse(text.TrimEnd('\0')) ?? throw new InvalidDataException($"{path}: {what} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {what} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>A string attribute (h5py writes fixed-length bytes or variable-length strings).</summary>
    internal static string ReadString(IH5Object obj, string name) => obj.Attribute(name).Read<string>();

    private static Sequential LoadSequential(JsonNode cfg, string path)
    {
        // Keras 2.0-2.2: config is the layer list; later: {"name", "layers": [...]}.
        var layerList = cfg is JsonArray arr ? arr : cfg["layers"]?.AsArray() ?? throw new InvalidDataException($"{path}: the Sequential config has no \"layers\"");
        string? name = cfg is JsonObject o ? (string?)o["name"] : null;
        var model = new Sequential([], name);
        foreach (var entry in layerList)
        {
            var (cls, c, lname) = Entry(entry, path);
            if (cls == "InputLayer")
            {
                if (model.Layers.Count > 0 || model.Built) throw new NotSupportedException($"{path}: an InputLayer ({lname}) after the first layer of a Sequential model is not supported");
                model.Add(InputFromConfig(c, lname, path));
                continue;
            }
            int? rank = model.Built ? model.Outputs[0].Shape.Rank : null;
            var layer = FromConfig(cls, c, lname, path, rank);
            try
            {
                model.Add(layer);
            }
            catch (Exception e) when (e is ArgumentException or InvalidArgumentException)
            {
                throw new InvalidDataException($"{path}: layer {lname} ({cls}) could not be added to the Sequential model: {e.Message}", e);
            }
            catch (NotSupportedException e)
            {
                throw new NotSupportedException($"{path}: layer {lname} ({cls}): {e.Message}", e);
            }
        }
        // tf.keras 2.x: a Sequential built with model.build(shape) and no input shape on its layers.
        if (!model.Built && model.Layers.Count > 0 && cfg is JsonObject oc && Ints(oc["build_input_shape"]) is { Length: > 1 } built)
            model.Build(built[1..]);
        return model;
    }

    private static (string Class, JsonObject Config, string Name) Entry(JsonNode? entry, string path)
    {
        var cls = (string?)entry?["class_name"] ?? throw new InvalidDataException($"{path}: a layer entry has no class_name");
        var c = entry!["config"] as JsonObject ?? throw new InvalidDataException($"{path}: layer entry of class {cls} has no config object");
        var name = (string?)c["name"] ?? (string?)entry["name"] ?? throw new InvalidDataException($"{path}: a {cls} layer has no name");
        return (cls, c, name);
    }

    /// <summary><c>batch_input_shape</c> (Keras 2) or <c>batch_shape</c> (later), with null for unknown dimensions.</summary>
    private static int[]? BatchShape(JsonObject c) => Ints(c["batch_input_shape"]) ?? Ints(c["batch_shape"]);

    private static InputLayer InputFromConfig(JsonObject c, string name, string path)
    {
        var shape = BatchShape(c) ?? throw new InvalidDataException($"{path}: InputLayer {name} has no batch_input_shape");
        if ((bool?)c["sparse"] == true || (bool?)c["ragged"] == true) throw new NotSupportedException($"{path}: InputLayer {name} is sparse or ragged, which is not supported");
        var dtype = DTypeOf(c["dtype"], name, path) ?? DType.Float32;
        return new InputLayer(shape[1..], shape[0] >= 0 ? shape[0] : null, dtype, name);
    }

    /// <summary>A layer's dtype: a name or a mixed-precision policy (<c>{"class_name": "Policy", "config": {"name"}}</c>).</summary>
    private static DType? DTypeOf(JsonNode? n, string layer, string path)
    {
        string? s = n switch
        {
            null => null,
            JsonValue v => (string?)v,
            JsonObject o => (string?)o["config"]?["name"],
            _ => null,
        };
        return s switch
        {
            null => null,
            "float32" => DType.Float32,
            "int32" => DType.Int32,
            "int64" => DType.Int64,
            "float64" => DType.Float64,
            _ => throw new NotSupportedException($"{path}: layer {layer} has dtype {s}, which is not supported"),
        };
    }

    /// <summary>Keras's <c>reconstruct_from_config</c>: creates the layers in order and calls each on its inbound nodes, deferring a node until its inputs exist.</summary>
    private static Model LoadFunctional(JsonObject cfg, string path)
    {
        var entries = cfg["layers"]?.AsArray() ?? throw new InvalidDataException($"{path}: the model config has no \"layers\"");
        var layers = new Dictionary<string, Layer>(StringComparer.Ordinal);
        var nodeOutputs = new Dictionary<string, List<KerasTensor[]>>(StringComparer.Ordinal);
        var pending = new List<(Layer Layer, string Class, JsonObject Config, JsonArray Node)>();
        foreach (var entry in entries)
        {
            var (cls, c, name) = Entry(entry, path);
            if (layers.ContainsKey(name)) throw new InvalidDataException($"{path}: two layers are named {name}");
            if (cls == "InputLayer")
            {
                var input = InputFromConfig(c, name, path);
                layers[name] = input;
                nodeOutputs[name] = [[input.Tensor(Backend.Graph)]];
                continue;
            }
            var inbound = entry!["inbound_nodes"] as JsonArray ?? throw new InvalidDataException($"{path}: layer {name} has no inbound_nodes");
            var layer = FromConfig(cls, c, name, path, null);
            layers[name] = layer;
            nodeOutputs[name] = [];
            foreach (var node in inbound)
                pending.Add((layer, cls, c, node as JsonArray
                    ?? throw new NotSupportedException($"{path}: layer {name} has inbound nodes in a form other than Keras 2's lists ([[layer, node, tensor, kwargs], ...]), which is not supported")));
        }
        while (pending.Count > 0)
        {
            int before = pending.Count;
            for (int i = 0; i < pending.Count; i++)
            {
                var (layer, cls, c, node) = pending[i];
                // A layer's nodes are made in order (node k before node k + 1).
                if (pending.Take(i).Any(p => ReferenceEquals(p.Layer, layer))) continue;
                var inputs = new List<KerasTensor>();
                bool ready = true;
                foreach (var t in node)
                {
                    var (src, ni, ti) = TensorRef(t, layer.Name, path);
                    if (!nodeOutputs.TryGetValue(src, out var outs)) throw new InvalidDataException($"{path}: layer {layer.Name} takes input from an unknown layer {src}");
                    if (ni >= outs.Count) { ready = false; break; }
                    if (ti >= outs[ni].Length) throw new InvalidDataException($"{path}: layer {layer.Name} takes output {ti} of layer {src}, which has {outs[ni].Length}");
                    inputs.Add(outs[ni][ti]);
                }
                if (!ready) continue;
                KerasTensor[] result;
                try
                {
                    result = layer.ApplyAll([.. inputs]);
                }
                catch (Exception e) when (e is ArgumentException or InvalidArgumentException or InvalidOperationException)
                {
                    throw new InvalidDataException($"{path}: layer {layer.Name} ({cls}) could not be called on its inputs: {e.Message}", e);
                }
                catch (NotSupportedException e)
                {
                    throw new NotSupportedException($"{path}: layer {layer.Name} ({cls}): {e.Message}", e);
                }
                if (layer is BatchNormalization && BnAxis(c, layer.Name, path) is var axis && axis != -1 && axis != inputs[0].Shape.Rank - 1)
                    throw new NotSupportedException($"{path}: BatchNormalization layer {layer.Name} normalizes axis {axis}; only the last axis is supported");
                nodeOutputs[layer.Name].Add(result);
                pending.RemoveAt(i);
                i--;
            }
            if (pending.Count == before)
                throw new InvalidDataException($"{path}: the inbound nodes of layer(s) {string.Join(", ", pending.Select(p => p.Layer.Name).Distinct())} never become available");
        }
        KerasTensor[] Ends(string key)
        {
            var list = cfg[key] as JsonArray ?? throw new InvalidDataException($"{path}: the model config has no {key}");
            // One tensor may be written flat: ["input_1", 0, 0].
            IEnumerable<JsonNode?> refs = list.Count > 0 && list[0] is JsonValue ? [list] : list;
            return [.. refs.Select(r =>
            {
                var (src, ni, ti) = TensorRef(r, key, path);
                if (!nodeOutputs.TryGetValue(src, out var outs) || ni >= outs.Count || ti >= outs[ni].Length)
                    throw new InvalidDataException($"{path}: {key} names {src}[{ni}][{ti}], which the layers do not make");
                return outs[ni][ti];
            })];
        }
        try
        {
            return new Model(Ends("input_layers"), Ends("output_layers"), (string?)cfg["name"]);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the model's inputs and outputs do not make a graph network: {e.Message}", e);
        }
    }

    /// <summary>An inbound tensor reference <c>[layer_name, node_index, tensor_index, kwargs]</c>.</summary>
    private static (string Layer, int Node, int Tensor) TensorRef(JsonNode? t, string owner, string path)
    {
        if (t is not JsonArray a || a.Count < 3 || a[0] is not JsonValue)
            throw new InvalidDataException($"{path}: {owner} has an inbound tensor reference that is not [layer, node_index, tensor_index, kwargs]: {t?.ToJsonString()}");
        if (a.Count > 3 && a[3] is JsonObject kw && kw.Any(p => p.Value is not null && p.Key != "training"))
            throw new NotSupportedException($"{path}: layer {owner} is called with arguments {kw.ToJsonString()}, which are not supported");
        return ((string)a[0]!, (int)a[1]!, (int)a[2]!);
    }

    /// <summary>
    /// An initializer from its config. Only the class matters for what loading does (the weights are
    /// then set from the file), so a class TensorGraph lacks falls back to the layer's default.
    /// </summary>
    private static Initializer InitFromJson(JsonNode? n, Initializer fallback)
    {
        if (n is not JsonObject o) return fallback;
        var cfg = o["config"] as JsonObject;
        int? seed = cfg?["seed"] is JsonValue sv ? sv.GetValue<int>() : null;
        return (string?)o["class_name"] switch
        {
            "GlorotUniform" => new GlorotUniform(seed),
            "Orthogonal" => new Orthogonal((double?)cfg?["gain"] ?? 1.0, seed),
            "Zeros" => new Zeros(),
            "Ones" => new Ones(),
            "RandomUniform" => new RandomUniform((double?)cfg?["minval"] ?? -0.05, (double?)cfg?["maxval"] ?? 0.05, seed),
            "Constant" => new Constant((double?)cfg?["value"] ?? 0),
            _ => fallback,
        };
    }

    /// <summary>An activation by name (<c>linear</c> is none); a serialized function object is refused.</summary>
    private static string? Activation(JsonNode? n, string? fallback, string layer, string path)
    {
        if (n is null) return fallback;
        if (n is not JsonValue) throw new NotSupportedException($"{path}: layer {layer} has an activation given as {n.ToJsonString()}; only activation names are supported");
        var a = (string?)n;
        if (a == "linear") return null;
        try
        {
            Activations.Get(a);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"{path}: layer {layer} uses activation {a}, which is not supported", e);
        }
        return a;
    }

    /// <summary>An RNN layer from its config; stateful, time-major or dropout layers are refused (TensorGraph's RNN layers have none of these).</summary>
    private static RNN RnnFromConfig(string cls, JsonObject c, string name, int[]? inputShape, string path)
    {
        if ((bool?)c["stateful"] == true) throw new NotSupportedException($"{path}: loading a stateful {cls} layer ({name}) is not supported");
        if ((bool?)c["time_major"] == true) throw new NotSupportedException($"{path}: loading a time-major {cls} layer ({name}) is not supported");
        if (((double?)c["dropout"] ?? 0) != 0 || ((double?)c["recurrent_dropout"] ?? 0) != 0)
            throw new NotSupportedException($"{path}: loading a {cls} layer with dropout or recurrent_dropout ({name}) is not supported");
        int units = Int(c, "units", cls, name, path);
        bool seq = (bool?)c["return_sequences"] ?? false, state = (bool?)c["return_state"] ?? false, back = (bool?)c["go_backwards"] ?? false;
        bool bias = (bool?)c["use_bias"] ?? true;
        var k = InitFromJson(c["kernel_initializer"], new GlorotUniform());
        var rk = InitFromJson(c["recurrent_initializer"], new Orthogonal());
        var b = InitFromJson(c["bias_initializer"], new Zeros());
        int impl = Math.Max(1, (int?)c["implementation"] ?? 1);
        return cls switch
        {
            "SimpleRNN" => new SimpleRNN(units, Activation(c["activation"], "tanh", name, path), bias, k, rk, b, seq, state, back, inputShape, name),
            "LSTM" => new LSTM(units, Activation(c["activation"], "tanh", name, path), Activation(c["recurrent_activation"], "hard_sigmoid", name, path), bias, k, rk, b,
                (bool?)c["unit_forget_bias"] ?? true, impl, seq, state, back, inputShape, name),
            "GRU" => new GRU(units, Activation(c["activation"], "tanh", name, path), Activation(c["recurrent_activation"], "hard_sigmoid", name, path), bias, k, rk, b, impl,
                (bool?)c["reset_after"] ?? false, seq, state, back, inputShape, name),
            _ => throw new NotSupportedException($"{path}: loading a {cls} layer ({name}) is not supported"),
        };
    }

    private static int[]? Ints(JsonNode? n) => n is JsonArray a ? [.. a.Select(v => v is null ? -1 : v.GetValue<int>())] : null;

    private static (int, int) Pair(JsonNode? n, (int, int) fallback) => Ints(n) is { Length: 2 } v ? (v[0], v[1]) : n is JsonValue ? (n.GetValue<int>(), n.GetValue<int>()) : fallback;

    private static int One(JsonNode? n, int fallback) => Ints(n) is { Length: 1 } v ? v[0] : n is JsonValue ? n.GetValue<int>() : fallback;

    private static void ChannelsLast(JsonObject c, string cls, string name, string path)
    {
        var f = (string?)c["data_format"];
        if (f is not null && f != "channels_last") throw new NotSupportedException($"{path}: {cls} layer {name} has data_format {f}; only channels_last is supported");
    }

    private static int Int(JsonObject c, string key, string cls, string name, string path) =>
        c[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new InvalidDataException($"{path}: {cls} layer {name} has no integer {key}");

    /// <summary>A layer from its config; a malformed value is an <see cref="InvalidDataException"/> naming the layer and file.</summary>
    private static Layer FromConfig(string cls, JsonObject c, string name, string path, int? inputRank)
    {
        try
        {
            return LayerFromConfig(cls, c, name, path, inputRank);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the config of {cls} layer {name} is not valid: {e.Message}", e);
        }
    }

    private static Layer LayerFromConfig(string cls, JsonObject c, string name, string path, int? inputRank)
    {
        int[]? inputShape = BatchShape(c) is { } b ? b[1..] : null;
        DTypeOf(c["dtype"], name, path);
        string? Act() => Activation(c["activation"], null, name, path);
        if (cls is "Conv2D" or "Conv1D" or "MaxPooling2D" or "AveragePooling2D" or "MaxPooling1D" or "AveragePooling1D" or "GlobalAveragePooling2D" or "GlobalMaxPooling2D" or "Flatten")
            ChannelsLast(c, cls, name, path);
        if (((int?)c["groups"] ?? 1) != 1) throw new NotSupportedException($"{path}: {cls} layer {name} has groups = {(int?)c["groups"]}; only 1 is supported");
        if ((bool?)c["keepdims"] == true) throw new NotSupportedException($"{path}: {cls} layer {name} has keepdims = true, which is not supported");
        foreach (var (key, value) in c)
            if (value is not null && (key.EndsWith("_regularizer", StringComparison.Ordinal) || key.EndsWith("_constraint", StringComparison.Ordinal))
                && !(cls is "Dense" or "Conv2D" or "Conv1D" && key is "kernel_regularizer" or "bias_regularizer"))
                throw new NotSupportedException($"{path}: {cls} layer {name} has {key} {value.ToJsonString()}, which is not supported");
        Regularizer? Reg(string key) => RegularizerFromConfig(c[key], key, name, path);
        var layer = cls switch
        {
            "Dense" => (Layer)new Dense(Int(c, "units", cls, name, path), Act(), (bool?)c["use_bias"] ?? true, inputShape: inputShape, name: name,
                kernelRegularizer: Reg("kernel_regularizer"), biasRegularizer: Reg("bias_regularizer")),
            "Activation" => new Activation(Act() ?? "linear", inputShape, name),
            "Dropout" => new Dropout((double?)c["rate"] ?? throw new InvalidDataException($"{path}: Dropout layer {name} has no rate"), (int?)c["seed"], inputShape, name),
            "Flatten" => new Flatten(inputShape, name),
            "Reshape" => new Reshape(Ints(c["target_shape"])!, inputShape, name),
            "Conv2D" => new Conv2D(Int(c, "filters", cls, name, path), Pair(c["kernel_size"], (1, 1)), Pair(c["strides"], (1, 1)), (string?)c["padding"] ?? "valid", Act(),
                (bool?)c["use_bias"] ?? true, dilationRate: Pair(c["dilation_rate"], (1, 1)), inputShape: inputShape, name: name,
                kernelRegularizer: Reg("kernel_regularizer"), biasRegularizer: Reg("bias_regularizer")),
            "Conv1D" => (string?)c["padding"] == "causal"
                ? throw new NotSupportedException($"{path}: Conv1D layer {name} has causal padding, which is not supported")
                : new Conv1D(Int(c, "filters", cls, name, path), One(c["kernel_size"], 1), One(c["strides"], 1), (string?)c["padding"] ?? "valid", Act(),
                    (bool?)c["use_bias"] ?? true, dilationRate: One(c["dilation_rate"], 1), inputShape: inputShape, name: name,
                    kernelRegularizer: Reg("kernel_regularizer"), biasRegularizer: Reg("bias_regularizer")),
            "Embedding" => new Embedding(Int(c, "input_dim", cls, name, path), Int(c, "output_dim", cls, name, path), InitFromJson(c["embeddings_initializer"], new RandomUniform()),
                (int?)c["input_length"] ?? (inputShape is [var len] && len >= 0 ? len : null), name, (bool?)c["mask_zero"] ?? false),
            "SimpleRNN" or "LSTM" or "GRU" => RnnFromConfig(cls, c, name, inputShape, path),
            "Bidirectional" => BidirectionalFromConfig(c, name, inputShape, path),
            "MaxPooling2D" => new MaxPooling2D(Pair(c["pool_size"], (2, 2)), c["strides"] is null ? null : Pair(c["strides"], (2, 2)), (string?)c["padding"] ?? "valid", name),
            "AveragePooling2D" => new AveragePooling2D(Pair(c["pool_size"], (2, 2)), c["strides"] is null ? null : Pair(c["strides"], (2, 2)), (string?)c["padding"] ?? "valid", name),
            "MaxPooling1D" => new MaxPooling1D(One(c["pool_size"], 2), c["strides"] is null ? null : One(c["strides"], 2), (string?)c["padding"] ?? "valid", name),
            "AveragePooling1D" => new AveragePooling1D(One(c["pool_size"], 2), c["strides"] is null ? null : One(c["strides"], 2), (string?)c["padding"] ?? "valid", name),
            "GlobalAveragePooling2D" => new GlobalAveragePooling2D(name),
            "GlobalMaxPooling2D" => new GlobalMaxPooling2D(name),
            "BatchNormalization" => BatchNormFromConfig(c, name, inputShape, path, inputRank),
            "Add" => new Add(name),
            "Multiply" => new Multiply(name),
            "Concatenate" => new Concatenate((int?)c["axis"] ?? -1, name),
            _ => throw new NotSupportedException($"{path}: layer {name} is of class {cls}, which TensorGraph cannot load"),
        };
        if ((bool?)c["trainable"] == false) layer.Trainable = false;
        return layer;
    }

    /// <summary>A serialized regularizer: <c>{"class_name": "L1L2" | "L1" | "L2", "config": {"l1", "l2"}}</c>.</summary>
    private static Regularizer? RegularizerFromConfig(JsonNode? n, string key, string layer, string path)
    {
        if (n is null) return null;
        if (n is JsonObject { } o && (string?)o["class_name"] is "L1L2" or "L1" or "L2" && (o["config"] as JsonObject ?? []) is var c)
            return new L1L2((double?)c["l1"] ?? 0, (double?)c["l2"] ?? 0);
        throw new NotSupportedException($"{path}: layer {layer} has {key} {n.ToJsonString()}, which is not supported (L1L2, L1 and L2 are)");
    }

    private static Bidirectional BidirectionalFromConfig(JsonObject c, string name, int[]? inputShape, string path)
    {
        if (c["backward_layer"] is JsonObject) throw new NotSupportedException($"{path}: Bidirectional layer {name} has its own backward_layer, which is not supported");
        var (cls, inner, innerName) = Entry(c["layer"], path);
        var rnn = FromConfig(cls, inner, innerName, path, null) as RNN
            ?? throw new NotSupportedException($"{path}: Bidirectional layer {name} wraps a {cls} layer, which is not a recurrent layer");
        return new Bidirectional(rnn, (string?)c["merge_mode"], inputShape: inputShape, name: name);
    }

    private static int BnAxis(JsonObject c, string name, string path) => c["axis"] switch
    {
        null => -1,
        JsonArray { Count: 1 } a => a[0]!.GetValue<int>(),
        JsonValue v => v.GetValue<int>(),
        var other => throw new NotSupportedException($"{path}: BatchNormalization layer {name} normalizes axes {other.ToJsonString()}; only the last axis is supported"),
    };

    private static BatchNormalization BatchNormFromConfig(JsonObject c, string name, int[]? inputShape, string path, int? inputRank)
    {
        int axis = BnAxis(c, name, path);
        if ((bool?)c["renorm"] == true) throw new NotSupportedException($"{path}: BatchNormalization layer {name} uses batch renormalization, which is not supported");
        if (c["virtual_batch_size"] is JsonValue) throw new NotSupportedException($"{path}: BatchNormalization layer {name} uses a virtual batch size, which is not supported");
        int? rank = inputRank ?? (inputShape is null ? null : inputShape.Length + 1);
        if (axis != -1 && rank is int r && axis != r - 1)
            throw new NotSupportedException($"{path}: BatchNormalization layer {name} normalizes axis {axis} of a rank-{r} input; only the last axis is supported");
        var bn = new BatchNormalization((double?)c["momentum"] ?? 0.99, (double?)c["epsilon"] ?? 1e-3, (bool?)c["center"] ?? true, (bool?)c["scale"] ?? true, inputShape, name);
        return bn;
    }
}
