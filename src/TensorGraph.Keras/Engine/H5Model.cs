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
            case MaxPooling2D mp:
                c["pool_size"] = new JsonArray(mp.PoolSize.Item1, mp.PoolSize.Item2); c["padding"] = mp.Padding.ToLowerInvariant();
                c["strides"] = new JsonArray(mp.Strides.Item1, mp.Strides.Item2); c["data_format"] = "channels_last";
                break;
            default: throw new NotSupportedException($"Saving a {l.GetType().Name} layer in a .h5 model is not supported yet");
        }
        return c;
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
            "MaxPooling2D" => new MaxPooling2D(Pair(c["pool_size"], (2, 2)), c["strides"] is null ? null : Pair(c["strides"], (2, 2)), (string?)c["padding"] ?? "valid", name),
            _ => throw new NotSupportedException($"Loading a {cls} layer from .h5 is not supported yet"),
        };
        if ((bool?)c["trainable"] == false) layer.Trainable = false;
        return layer;
    }

}
