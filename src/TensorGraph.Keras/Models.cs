namespace TensorGraph.Keras;

/// <summary>Keras's <c>keras.models</c> functions.</summary>
public static class Models
{
    /// <summary>
    /// Loads a model from a Keras <c>.h5</c> file (Keras's <c>load_model</c>): one written by
    /// <see cref="Model.Save"/> or by Keras 2.x itself — a <c>Sequential</c> (with or without a
    /// leading <c>InputLayer</c>; one saved before it was built comes back unbuilt and builds on its
    /// first data) or a functional <c>Model</c>/<c>Functional</c> graph rebuilt from its
    /// layers' <c>inbound_nodes</c> — in the Keras default graph, with its weights. The layers keep
    /// the file's names. With <paramref name="compile"/> and a <c>training_config</c> in the file,
    /// the model is compiled with the saved optimizer (Adam, SGD, RMSprop, Adagrad and their
    /// hyperparameters), loss(es), metrics and loss weights, and its saved state
    /// (<c>optimizer_weights</c>: iter and slots, matched by name; a state that does not fit is left
    /// out with a warning on <see cref="Model.Writer"/>, as Keras does) is restored, ready to resume
    /// training. L1/L2 kernel and bias regularizers of Dense and Conv layers are rebuilt (their
    /// penalties join the loss, as in Keras); constraints and other regularizers are refused.
    /// </summary>
    /// <param name="path">The .h5 file.</param>
    /// <param name="compile">Whether to compile from the file's training_config (Keras's <c>compile=True</c>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">The file holds a layer class, layer option, optimizer, loss or metric TensorGraph does not have; the message names the layer (or setting) and the file.</exception>
    /// <exception cref="InvalidDataException">The config is malformed or does not fit the weights; the message names the file.</exception>
    public static Model LoadModel(string path, bool compile = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return H5Model.Load(path, compile);
    }

    /// <summary>
    /// A model from the JSON of Keras's <c>model.to_json()</c> (Keras's <c>model_from_json</c>): the
    /// same Sequential and functional configs <see cref="LoadModel"/> reads, built in the Keras
    /// default graph with fresh weights (a Sequential whose first layer has no input shape is built on
    /// its first data, as in Keras); load weights with <see cref="Model.LoadWeights"/> (a
    /// Keras <c>save_weights</c> .h5 file matches layer by layer).
    /// </summary>
    /// <param name="json">The model JSON: <c>{"class_name", "config", ...}</c>.</param>
    /// <exception cref="NotSupportedException">The JSON holds a layer class or layer option TensorGraph does not have; the message names the layer.</exception>
    /// <exception cref="InvalidDataException">The JSON is malformed or is not a model config.</exception>
    public static Model ModelFromJson(string json)
    {
        ArgumentException.ThrowIfNullOrEmpty(json);
        const string source = "model JSON";
        return H5Model.FromModelConfig(H5Model.ParseJson(json, source, "the text"), source);
    }
}
