namespace TensorGraph.Keras;

/// <summary>Keras's <c>keras.models</c> functions.</summary>
public static class Models
{
    /// <summary>
    /// Loads a Sequential model saved by <see cref="Model.Save"/> (or by Keras with the same layer
    /// types) from a <c>.h5</c> file, in the Keras default graph, with its weights.
    /// </summary>
    public static Model LoadModel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return H5Model.Load(path);
    }
}
