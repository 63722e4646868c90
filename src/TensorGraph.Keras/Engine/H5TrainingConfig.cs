using System.Text.Json.Nodes;
using TensorGraph.Keras.Losses;
using TensorGraph.Keras.Optimizers;

namespace TensorGraph.Keras;

/// <summary>
/// Compiling a loaded model from the file's <c>training_config</c>, as Keras's
/// <c>saving_utils.compile_args_from_training_config</c> does: <c>optimizer_config</c>
/// (<c>{"class_name", "config"}</c>), <c>loss</c> (a name, a serialized loss, a list or a dict by
/// output name), <c>metrics</c> (names, or Keras 2.4+'s per-output lists of serialized
/// <c>MeanMetricWrapper</c>s) and <c>loss_weights</c>.
/// </summary>
internal static partial class H5Model
{
    private static void CompileFromConfig(Model model, JsonNode tc, string path)
    {
        var optimizer = OptimizerFromConfig(tc["optimizer_config"], path);
        object loss = tc["loss"] switch
        {
            null => throw new InvalidDataException($"{path}: training_config has no loss"),
            JsonArray a => a.Select(l => LossFromConfig(l, path)).ToArray(),
            JsonObject o when o["class_name"] is null => model.OutputNames.Select(n => LossFromConfig(o[n] ?? throw new InvalidDataException($"{path}: training_config has no loss for output {n}"), path)).ToArray(),
            var l => LossFromConfig(l, path),
        };
        var metrics = MetricsFromConfig(tc["metrics"], model.Outputs.Count, path);
        if (tc["weighted_metrics"] is JsonArray wm && wm.Any(m => m is not JsonArray { Count: 0 }))
            throw new NotSupportedException($"{path}: training_config has weighted_metrics, which are not supported; load with compile: false and compile the model yourself");
        if (tc["sample_weight_mode"] is JsonValue swm && (string?)swm is { } mode)
            throw new NotSupportedException($"{path}: training_config has sample_weight_mode {mode}, which is not supported; load with compile: false");
        double[]? lossWeights = tc["loss_weights"] switch
        {
            null => null,
            JsonArray a => [.. a.Select(w => (double)w!)],
            JsonObject o => [.. model.OutputNames.Select(n => (double?)o[n] ?? 1.0)],
            _ => throw new InvalidDataException($"{path}: training_config's loss_weights is neither a list nor a dict"),
        };
        try
        {
            model.Compile(optimizer, loss, metrics, lossWeights);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"{path}: the model cannot be compiled from its training_config: {e.Message}; load with compile: false", e);
        }
    }

    private static double Number(JsonObject c, string path, double fallback, params string[] keys)
    {
        foreach (var k in keys)
            switch (c[k])
            {
                case null: continue;
                case JsonValue v: return v.GetValue<double>();
                default: throw new NotSupportedException($"{path}: the optimizer's {k} is {c[k]!.ToJsonString()}; only a number (no schedule) is supported");
            }
        return fallback;
    }

    private static Optimizer OptimizerFromConfig(JsonNode? n, string path)
    {
        if (n is not JsonObject o) throw new InvalidDataException($"{path}: training_config has no optimizer_config");
        var cls = (string?)o["class_name"];
        var c = o["config"] as JsonObject ?? [];
        string name = (string?)c["name"] ?? cls ?? "";
        double lr = Number(c, path, 0.001, "learning_rate", "lr"), decay = Number(c, path, 0, "decay");
        if ((bool?)c["amsgrad"] == true) throw new NotSupportedException($"{path}: the optimizer uses amsgrad, which is not supported");
        foreach (var k in new[] { "clipnorm", "clipvalue", "global_clipnorm" })
            if (c[k] is JsonValue) throw new NotSupportedException($"{path}: the optimizer has {k}, which is not supported");
        return cls?.ToLowerInvariant() switch
        {
            "adam" => new Adam(lr, Number(c, path, 0.9, "beta_1"), Number(c, path, 0.999, "beta_2"), Number(c, path, 1e-7, "epsilon"), decay, name),
            "sgd" => new SGD(Number(c, path, 0.01, "learning_rate", "lr"), Number(c, path, 0, "momentum"), (bool?)c["nesterov"] ?? false, decay, name),
            "rmsprop" => new RMSprop(lr, Number(c, path, 0.9, "rho"), Number(c, path, 0, "momentum"), Number(c, path, 1e-7, "epsilon"), (bool?)c["centered"] ?? false, decay, name),
            "adagrad" => new Adagrad(Number(c, path, 0.01, "learning_rate", "lr"), Number(c, path, 0.1, "initial_accumulator_value"), Number(c, path, 1e-7, "epsilon"), decay, name),
            _ => throw new NotSupportedException($"{path}: the optimizer {cls} is not supported (Adam, SGD, RMSprop and Adagrad are); load with compile: false"),
        };
    }

    private static Loss LossFromConfig(JsonNode? n, string path)
    {
        switch (n)
        {
            case JsonValue v:
                try
                {
                    return Loss.Get((string)v!);
                }
                catch (ArgumentException e)
                {
                    throw new NotSupportedException($"{path}: the loss {v.ToJsonString()} is not supported; load with compile: false", e);
                }
            case JsonObject o:
                var c = o["config"] as JsonObject ?? [];
                bool logits = (bool?)c["from_logits"] ?? false;
                if (((double?)c["label_smoothing"] ?? 0) != 0) throw new NotSupportedException($"{path}: the loss uses label smoothing, which is not supported");
                var red = (string?)c["reduction"];
                if (red is not null and not "auto" and not "sum_over_batch_size") throw new NotSupportedException($"{path}: the loss uses reduction {red}, which is not supported");
                return (string?)o["class_name"] switch
                {
                    "CategoricalCrossentropy" => new CategoricalCrossentropy(logits),
                    "SparseCategoricalCrossentropy" => new SparseCategoricalCrossentropy(logits),
                    "BinaryCrossentropy" => new BinaryCrossentropy(logits),
                    "MeanSquaredError" => new MeanSquaredError(),
                    "MeanAbsoluteError" => new MeanAbsoluteError(),
                    var cls => throw new NotSupportedException($"{path}: the loss {cls} is not supported; load with compile: false"),
                };
            default:
                throw new InvalidDataException($"{path}: training_config's loss is {n?.ToJsonString() ?? "null"}");
        }
    }

    /// <summary>
    /// Metric names for <see cref="Model.Compile"/>, which applies one list to every output:
    /// Keras 2.4+ writes a list per output, so the lists must agree.
    /// </summary>
    private static object[]? MetricsFromConfig(JsonNode? n, int outputs, string path)
    {
        if (n is null) return null;
        if (n is JsonObject) throw new NotSupportedException($"{path}: training_config has metrics per output name, which are not supported; load with compile: false");
        if (n is not JsonArray a) throw new InvalidDataException($"{path}: training_config's metrics is {n.ToJsonString()}");
        if (a.Count > 0 && a.All(m => m is JsonArray))
        {
            var lists = a.Select(l => l!.AsArray().Select(m => MetricName(m, path)).ToArray()).ToArray();
            if (lists.Skip(1).Any(l => !l.SequenceEqual(lists[0])))
                throw new NotSupportedException($"{path}: training_config has different metrics per output, which are not supported; load with compile: false");
            return lists[0];
        }
        return [.. a.Select(m => MetricName(m, path))];
    }

    /// <summary>A metric name: a string, or a serialized <c>MeanMetricWrapper</c> (its <c>name</c> when that is accuracy/acc, otherwise its <c>fn</c>).</summary>
    private static object MetricName(JsonNode? m, string path)
    {
        if (m is JsonValue v) return (string)v!;
        if (m is JsonObject o && (string?)o["class_name"] == "MeanMetricWrapper" && o["config"] is JsonObject c)
        {
            var name = (string?)c["name"];
            return name is "accuracy" or "acc" ? name : (string?)c["fn"] ?? name ?? throw new InvalidDataException($"{path}: a metric has neither fn nor name");
        }
        throw new NotSupportedException($"{path}: the metric {m?.ToJsonString()} is not supported; load with compile: false");
    }
}
