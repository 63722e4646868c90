using System.Text.Json.Nodes;
using PureHDF;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras;

/// <summary>
/// Keras's full-model HDF5 file (<c>save_model_to_hdf5</c>) for Sequential models: root attributes
/// <c>keras_version</c>, <c>backend</c>, <c>model_config</c> (the JSON of
/// <c>{"class_name": "Sequential", "config": {"name", "layers": [{"class_name", "config"}]}}</c>)
/// and the weights under <c>model_weights</c>.
/// </summary>
internal static class H5Model
{
    public static void Save(Model model, string path)
    {
        if (model is not Sequential seq) throw new NotSupportedException("Saving a functional model as .h5 is not supported yet; use SaveWeights");
        var layers = new JsonArray();
        bool first = true;
        foreach (var l in seq.Layers)
        {
            var cfg = LayerConfig(l, first ? seq.Inputs[0].Shape : null);
            layers.Add(new JsonObject { ["class_name"] = l.GetType().Name, ["config"] = cfg });
            first = false;
        }
        var config = new JsonObject { ["class_name"] = "Sequential", ["config"] = new JsonObject { ["name"] = seq.Name, ["layers"] = layers } };
        string json = config.ToJsonString();
        var file = new H5File();
        file.Attributes["keras_version"] = "2.2.4-tf";
        file.Attributes["backend"] = "tensorflow";
        file.Attributes["model_config"] = json;
        var weights = new H5Group();
        var strings = H5Weights.Write(weights, seq.Layers, ws => model.Session.Run([.. ws.Select(v => v.Value)], null));
        file["model_weights"] = weights;
        strings.Add(json);
        file.Write(path, new H5WriteOptions(DefaultStringLength: H5Weights.StringLength(strings)));
    }

    public static Model Load(string path)
    {
        List<Layer> layers = [];
        using (var file = H5File.OpenRead(path))
        {
            if (!file.AttributeExists("model_config")) throw new ArgumentException($"No model found in config file: {path}");
            var root = JsonNode.Parse(file.Attribute("model_config").Read<string>().TrimEnd('\0'))!;
            var cls = (string?)root["class_name"];
            if (cls != "Sequential") throw new NotSupportedException($"Loading a {cls} model from .h5 is not supported yet (Sequential only)");
            var cfg = root["config"]!;
            var layerList = cfg is JsonArray arr ? arr : cfg["layers"]!.AsArray();
            string? name = cfg is JsonObject o ? (string?)o["name"] : null;
            foreach (var entry in layerList) layers.Add(FromConfig((string)entry!["class_name"]!, entry["config"]!.AsObject()));
            var model = new Sequential(layers, name);
            if (!model.Built) throw new ArgumentException($"The model in {path} has no input shape in its first layer's config");
            model.SetWeights(H5Weights.Read(file.Group("model_weights"), model.Layers));
            return model;
        }
    }

    private static JsonNode? Shape(Shape s) => new JsonArray([.. s.ToArray().Select(d => d < 0 ? null : (JsonNode)d)]);

    private static JsonObject Init(string cls) => new() { ["class_name"] = cls, ["config"] = cls == "GlorotUniform" ? new JsonObject { ["seed"] = null } : new JsonObject() };

    private static JsonObject LayerConfig(Layer l, Shape? batchInputShape)
    {
        var c = new JsonObject { ["name"] = l.Name, ["trainable"] = l.Trainable };
        if (batchInputShape is not null) c["batch_input_shape"] = Shape(batchInputShape);
        c["dtype"] = "float32";
        switch (l)
        {
            case Dense d:
                c["units"] = d.Units; c["activation"] = d.ActivationName ?? "linear"; c["use_bias"] = d.UseBias;
                c["kernel_initializer"] = Init("GlorotUniform"); c["bias_initializer"] = Init("Zeros");
                c["kernel_regularizer"] = null; c["bias_regularizer"] = null; c["activity_regularizer"] = null;
                c["kernel_constraint"] = null; c["bias_constraint"] = null;
                break;
            case Activation a: c["activation"] = a.ActivationName; break;
            case Dropout dr: c["rate"] = dr.Rate; c["noise_shape"] = null; c["seed"] = dr.Seed; break;
            case Flatten: c["data_format"] = "channels_last"; break;
            case Reshape r: c["target_shape"] = new JsonArray([.. r.TargetShape.Select(v => (JsonNode)v)]); break;
            case Conv2D cv:
                c["filters"] = cv.Filters; c["kernel_size"] = new JsonArray(cv.KernelSize.Item1, cv.KernelSize.Item2);
                c["strides"] = new JsonArray(cv.Strides.Item1, cv.Strides.Item2); c["padding"] = cv.Padding.ToLowerInvariant();
                c["data_format"] = "channels_last"; c["dilation_rate"] = new JsonArray(cv.DilationRate.Item1, cv.DilationRate.Item2);
                c["activation"] = cv.ActivationName ?? "linear"; c["use_bias"] = cv.UseBias;
                c["kernel_initializer"] = Init("GlorotUniform"); c["bias_initializer"] = Init("Zeros");
                break;
            case Embedding e:
                c["input_dim"] = e.InputDim; c["output_dim"] = e.OutputDim; c["embeddings_initializer"] = InitJson(e.EmbeddingsInitializer);
                c["embeddings_regularizer"] = null; c["activity_regularizer"] = null; c["embeddings_constraint"] = null;
                c["mask_zero"] = e.MaskZero; c["input_length"] = e.InputLength;
                break;
            case RNN rnn: RnnConfig(c, rnn); break;
            case Bidirectional bi:
                var inner = LayerConfig(bi.Layer, null);
                c["layer"] = new JsonObject { ["class_name"] = bi.Layer.GetType().Name, ["config"] = inner };
                c["merge_mode"] = bi.MergeMode;
                break;
            case MaxPooling2D mp:
                c["pool_size"] = new JsonArray(mp.PoolSize.Item1, mp.PoolSize.Item2); c["padding"] = mp.Padding.ToLowerInvariant();
                c["strides"] = new JsonArray(mp.Strides.Item1, mp.Strides.Item2); c["data_format"] = "channels_last";
                break;
            default: throw new NotSupportedException($"Saving a {l.GetType().Name} layer in a .h5 model is not supported yet");
        }
        return c;
    }

    /// <summary>Keras's <c>initializers.serialize</c>: <c>{"class_name", "config"}</c>.</summary>
    private static JsonObject InitJson(Initializer i)
    {
        var (cls, cfg) = i switch
        {
            GlorotUniform gu => ("GlorotUniform", new JsonObject { ["seed"] = gu.Seed }),
            Orthogonal o => ("Orthogonal", new JsonObject { ["gain"] = o.Gain, ["seed"] = o.Seed }),
            Zeros => ("Zeros", new JsonObject()),
            Ones => ("Ones", new JsonObject()),
            RandomUniform ru => ("RandomUniform", new JsonObject { ["minval"] = ru.Minval, ["maxval"] = ru.Maxval, ["seed"] = ru.Seed }),
            HeUniform hu => ("VarianceScaling", new JsonObject { ["scale"] = 2.0, ["mode"] = "fan_in", ["distribution"] = "uniform", ["seed"] = hu.Seed }),
            Constant k => ("Constant", new JsonObject { ["value"] = k.Value }),
            _ => throw new NotSupportedException($"Saving a {i.GetType().Name} initializer in a .h5 model is not supported"),
        };
        return new JsonObject { ["class_name"] = cls, ["config"] = cfg };
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

    /// <summary>The config of tf.keras 1.15's SimpleRNN/LSTM/GRU (v1): the RNN base's fields, then the cell's.</summary>
    private static void RnnConfig(JsonObject c, RNN rnn)
    {
        c["return_sequences"] = rnn.ReturnSequences; c["return_state"] = rnn.ReturnState; c["go_backwards"] = rnn.GoBackwards;
        c["stateful"] = false; c["unroll"] = false; c["time_major"] = false;
        c["units"] = rnn.Units;
        switch (rnn)
        {
            case SimpleRNN s:
                c["activation"] = s.ActivationName ?? "linear"; c["use_bias"] = s.UseBias;
                c["kernel_initializer"] = InitJson(s.KernelInitializer); c["recurrent_initializer"] = InitJson(s.RecurrentInitializer);
                c["bias_initializer"] = InitJson(s.BiasInitializer);
                break;
            case LSTM l:
                c["activation"] = l.ActivationName ?? "linear"; c["recurrent_activation"] = l.RecurrentActivationName ?? "linear"; c["use_bias"] = l.UseBias;
                c["kernel_initializer"] = InitJson(l.KernelInitializer); c["recurrent_initializer"] = InitJson(l.RecurrentInitializer);
                c["bias_initializer"] = InitJson(l.BiasInitializer); c["unit_forget_bias"] = l.UnitForgetBias;
                break;
            case GRU gr:
                c["activation"] = gr.ActivationName ?? "linear"; c["recurrent_activation"] = gr.RecurrentActivationName ?? "linear"; c["use_bias"] = gr.UseBias;
                c["kernel_initializer"] = InitJson(gr.KernelInitializer); c["recurrent_initializer"] = InitJson(gr.RecurrentInitializer);
                c["bias_initializer"] = InitJson(gr.BiasInitializer);
                break;
            default: throw new NotSupportedException($"Saving a {rnn.GetType().Name} layer in a .h5 model is not supported");
        }
        c["kernel_regularizer"] = null; c["recurrent_regularizer"] = null; c["bias_regularizer"] = null; c["activity_regularizer"] = null;
        c["kernel_constraint"] = null; c["recurrent_constraint"] = null; c["bias_constraint"] = null;
        c["dropout"] = 0.0; c["recurrent_dropout"] = 0.0;
        if (rnn is LSTM lstm) c["implementation"] = lstm.Implementation;
        if (rnn is GRU gru) { c["implementation"] = gru.Implementation; c["reset_after"] = gru.ResetAfter; }
    }

    private static string? Activation(JsonNode? n, string? fallback)
    {
        if (n is null) return fallback;
        var a = (string?)n;
        return a == "linear" ? null : a;
    }

    /// <summary>An RNN layer from its config; stateful, time-major or dropout layers are refused (TensorGraph's RNN layers have none of these).</summary>
    private static RNN RnnFromConfig(string cls, JsonObject c, string name, int[]? inputShape)
    {
        if ((bool?)c["stateful"] == true) throw new NotSupportedException($"Loading a stateful {cls} layer ({name}) is not supported");
        if ((bool?)c["time_major"] == true) throw new NotSupportedException($"Loading a time-major {cls} layer ({name}) is not supported");
        if (((double?)c["dropout"] ?? 0) != 0 || ((double?)c["recurrent_dropout"] ?? 0) != 0)
            throw new NotSupportedException($"Loading a {cls} layer with dropout or recurrent_dropout ({name}) is not supported");
        int units = (int)c["units"]!;
        bool seq = (bool?)c["return_sequences"] ?? false, state = (bool?)c["return_state"] ?? false, back = (bool?)c["go_backwards"] ?? false;
        bool bias = (bool?)c["use_bias"] ?? true;
        var k = InitFromJson(c["kernel_initializer"], new GlorotUniform());
        var rk = InitFromJson(c["recurrent_initializer"], new Orthogonal());
        var b = InitFromJson(c["bias_initializer"], new Zeros());
        int impl = Math.Max(1, (int?)c["implementation"] ?? 1);
        return cls switch
        {
            "SimpleRNN" => new SimpleRNN(units, Activation(c["activation"], "tanh"), bias, k, rk, b, seq, state, back, inputShape, name),
            "LSTM" => new LSTM(units, Activation(c["activation"], "tanh"), Activation(c["recurrent_activation"], "hard_sigmoid"), bias, k, rk, b,
                (bool?)c["unit_forget_bias"] ?? true, impl, seq, state, back, inputShape, name),
            "GRU" => new GRU(units, Activation(c["activation"], "tanh"), Activation(c["recurrent_activation"], "hard_sigmoid"), bias, k, rk, b, impl,
                (bool?)c["reset_after"] ?? false, seq, state, back, inputShape, name),
            _ => throw new NotSupportedException($"Loading a {cls} layer from .h5 is not supported yet"),
        };
    }

    private static int[]? Ints(JsonNode? n) => n is JsonArray a ? [.. a.Select(v => v is null ? -1 : v.GetValue<int>())] : null;

    private static (int, int) Pair(JsonNode? n, (int, int) fallback) => Ints(n) is { Length: 2 } v ? (v[0], v[1]) : n is JsonValue ? (n.GetValue<int>(), n.GetValue<int>()) : fallback;

    private static Layer FromConfig(string cls, JsonObject c)
    {
        string name = (string)c["name"]!;
        int[]? inputShape = Ints(c["batch_input_shape"]) is { } b ? b[1..] : null;
        string? act = (string?)c["activation"];
        if (act == "linear") act = null;
        var layer = cls switch
        {
            "Dense" => (Layer)new Dense((int)c["units"]!, act, (bool?)c["use_bias"] ?? true, inputShape: inputShape, name: name),
            "Activation" => new Activation((string)c["activation"]!, inputShape, name),
            "Dropout" => new Dropout((double)c["rate"]!, (int?)c["seed"], inputShape, name),
            "Flatten" => new Flatten(inputShape, name),
            "Reshape" => new Reshape(Ints(c["target_shape"])!, inputShape, name),
            "Conv2D" => new Conv2D((int)c["filters"]!, Pair(c["kernel_size"], (1, 1)), Pair(c["strides"], (1, 1)), (string?)c["padding"] ?? "valid", act,
                (bool?)c["use_bias"] ?? true, dilationRate: Pair(c["dilation_rate"], (1, 1)), inputShape: inputShape, name: name),
            "Embedding" => new Embedding((int)c["input_dim"]!, (int)c["output_dim"]!, InitFromJson(c["embeddings_initializer"], new RandomUniform()),
                (int?)c["input_length"] ?? (inputShape is [var len] && len >= 0 ? len : null), name, (bool?)c["mask_zero"] ?? false),
            "SimpleRNN" or "LSTM" or "GRU" => RnnFromConfig(cls, c, name, inputShape),
            "Bidirectional" => new Bidirectional(
                (FromConfig((string)c["layer"]!["class_name"]!, c["layer"]!["config"]!.AsObject()) as RNN)
                    ?? throw new NotSupportedException($"Bidirectional layer {name} wraps a layer that is not a recurrent layer"),
                (string?)c["merge_mode"], inputShape: inputShape, name: name),
            "MaxPooling2D" => new MaxPooling2D(Pair(c["pool_size"], (2, 2)), c["strides"] is null ? null : Pair(c["strides"], (2, 2)), (string?)c["padding"] ?? "valid", name),
            _ => throw new NotSupportedException($"Loading a {cls} layer from .h5 is not supported yet"),
        };
        if ((bool?)c["trainable"] == false) layer.Trainable = false;
        return layer;
    }

}
