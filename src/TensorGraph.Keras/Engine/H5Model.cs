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
internal static partial class H5Model
{
    public static void Save(Model model, string path)
    {
        var config = model is Sequential seq ? SequentialConfig(seq) : FunctionalConfig(model);
        string json = config.ToJsonString();
        var file = new H5File();
        file.Attributes["keras_version"] = "2.2.4-tf";
        file.Attributes["backend"] = "tensorflow";
        file.Attributes["model_config"] = json;
        var weights = new H5Group();
        var arrays = new List<(H5Group, string, string[])>();
        var strings = H5Weights.Write(weights, model.Layers, ws => model.Session.Run([.. ws.Select(v => v.Value)], null), arrays);
        file["model_weights"] = weights;
        strings.Add(json);
        int length = H5Weights.StringLength(strings);
        H5Weights.SetStringArrays(arrays, length);
        file.Write(path, new H5WriteOptions(DefaultStringLength: length));
    }

    private static JsonObject SequentialConfig(Sequential seq)
    {
        var layers = new JsonArray();
        bool first = true;
        foreach (var l in seq.Layers)
        {
            var cfg = LayerConfig(l, first ? seq.Inputs[0].Shape : null);
            layers.Add(new JsonObject { ["class_name"] = l.GetType().Name, ["config"] = cfg });
            first = false;
        }
        return new JsonObject { ["class_name"] = "Sequential", ["config"] = new JsonObject { ["name"] = seq.Name, ["layers"] = layers } };
    }

    /// <summary>
    /// tf.keras 1.15's <c>Network.get_config()</c>: the layers in model order, each with
    /// <c>name</c>, <c>class_name</c>, <c>config</c> and <c>inbound_nodes</c>
    /// (<c>[[[layer, node_index, tensor_index, {}], ...], ...]</c>, node indices counted among the
    /// layer's calls in this model), then <c>input_layers</c> and <c>output_layers</c>.
    /// </summary>
    private static JsonObject FunctionalConfig(Model model)
    {
        var layers = model.Layers;
        var inModel = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Walk(KerasTensor t)
        {
            if (t.Inbound.Count == 0 || !inModel.Add(t.Inbound)) return;
            foreach (var i in t.Inbound) Walk(i);
        }
        foreach (var o in model.Outputs) Walk(o);
        // The layer's calls that belong to this model, in call order: their positions are the node indices.
        List<IReadOnlyList<KerasTensor>> Nodes(Layer l) => [.. l.Calls.Select(c => c.Inputs).Where(inModel.Contains)];
        int NodeIndex(KerasTensor t) => t.Inbound.Count == 0 ? 0 : Nodes(t.Layer).FindIndex(n => ReferenceEquals(n, t.Inbound));
        JsonArray Ref(KerasTensor t) => [t.Layer.Name, NodeIndex(t), t.Index];
        var entries = new JsonArray();
        foreach (var l in layers)
        {
            JsonObject cfg;
            JsonArray inbound = [];
            if (l is InputLayer input)
                cfg = new JsonObject
                {
                    ["batch_input_shape"] = Shape(new Shape([input.BatchSize ?? -1, .. input.InputShape!])),
                    ["dtype"] = input.DType.Name(), ["sparse"] = false, ["name"] = input.Name,
                };
            else
            {
                cfg = LayerConfig(l, null);
                foreach (var node in Nodes(l))
                    inbound.Add(new JsonArray([.. node.Select(t => (JsonNode)new JsonArray([t.Layer.Name, NodeIndex(t), t.Index, new JsonObject()]))]));
            }
            entries.Add(new JsonObject { ["name"] = l.Name, ["class_name"] = l.GetType().Name, ["config"] = cfg, ["inbound_nodes"] = inbound });
        }
        return new JsonObject
        {
            ["class_name"] = "Model",
            ["config"] = new JsonObject
            {
                ["name"] = model.Name,
                ["layers"] = entries,
                ["input_layers"] = new JsonArray([.. model.Inputs.Select(t => (JsonNode)Ref(t))]),
                ["output_layers"] = new JsonArray([.. model.Outputs.Select(t => (JsonNode)Ref(t))]),
            },
        };
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
                c["kernel_regularizer"] = RegJson(d.KernelRegularizer); c["bias_regularizer"] = RegJson(d.BiasRegularizer); c["activity_regularizer"] = null;
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
                c["kernel_regularizer"] = RegJson(cv.KernelRegularizer); c["bias_regularizer"] = RegJson(cv.BiasRegularizer); c["activity_regularizer"] = null;
                c["kernel_constraint"] = null; c["bias_constraint"] = null;
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
            case Pooling2DLayer mp:
                c["pool_size"] = new JsonArray(mp.PoolSize.Item1, mp.PoolSize.Item2); c["padding"] = mp.Padding.ToLowerInvariant();
                c["strides"] = new JsonArray(mp.Strides.Item1, mp.Strides.Item2); c["data_format"] = "channels_last";
                break;
            case Pooling1DLayer p1:
                c["strides"] = new JsonArray(p1.Strides); c["pool_size"] = new JsonArray(p1.PoolSize); c["padding"] = p1.Padding.ToLowerInvariant();
                c["data_format"] = "channels_last";
                break;
            case GlobalAveragePooling2D or GlobalMaxPooling2D: c["data_format"] = "channels_last"; break;
            case Conv1D c1:
                c["filters"] = c1.Filters; c["kernel_size"] = new JsonArray(c1.KernelSize); c["strides"] = new JsonArray(c1.Strides);
                c["padding"] = c1.Padding.ToLowerInvariant(); c["data_format"] = "channels_last"; c["dilation_rate"] = new JsonArray(c1.DilationRate);
                c["activation"] = c1.ActivationName ?? "linear"; c["use_bias"] = c1.UseBias;
                c["kernel_initializer"] = Init("GlorotUniform"); c["bias_initializer"] = Init("Zeros");
                c["kernel_regularizer"] = RegJson(c1.KernelRegularizer); c["bias_regularizer"] = RegJson(c1.BiasRegularizer); c["activity_regularizer"] = null;
                c["kernel_constraint"] = null; c["bias_constraint"] = null;
                break;
            case BatchNormalization bn:
                c["axis"] = -1; c["momentum"] = bn.Momentum; c["epsilon"] = bn.Epsilon; c["center"] = bn.Center; c["scale"] = bn.Scale;
                c["beta_initializer"] = Init("Zeros"); c["gamma_initializer"] = Init("Ones");
                c["moving_mean_initializer"] = Init("Zeros"); c["moving_variance_initializer"] = Init("Ones");
                c["beta_regularizer"] = null; c["gamma_regularizer"] = null; c["beta_constraint"] = null; c["gamma_constraint"] = null;
                break;
            case Add or Multiply: break;
            case Concatenate cat: c["axis"] = cat.Axis; break;
            default: throw new NotSupportedException($"Saving a {l.GetType().Name} layer in a .h5 model is not supported yet");
        }
        return c;
    }

    /// <summary>Keras's <c>regularizers.serialize</c> of an L1L2 (tf.keras 1.15 writes <c>{"class_name": "L1L2", "config": {"l1", "l2"}}</c>).</summary>
    private static JsonObject? RegJson(Regularizer? r) => r switch
    {
        null => null,
        L1L2 x => new JsonObject { ["class_name"] = "L1L2", ["config"] = new JsonObject { ["l1"] = x.L1, ["l2"] = x.L2 } },
        _ => throw new NotSupportedException($"Saving a {r.GetType().Name} regularizer in a .h5 model is not supported"),
    };

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
}
