namespace TensorGraph.Keras.Layers;

/// <summary>
/// A model's entry point: a placeholder of shape <c>(batch, *inputShape)</c> named after the layer
/// (<c>input_1</c> for <see cref="Keras.Input"/>, <c>dense_input</c> for a Sequential whose
/// first layer has an input shape).
/// </summary>
public sealed class InputLayer : Layer
{
    private KerasTensor? _tensor;

    /// <summary>Creates an input layer for samples of shape <paramref name="inputShape"/>.</summary>
    /// <param name="inputShape">Shape of one sample (-1 for an unknown dimension).</param>
    /// <param name="batchSize">A static batch size, or null for any.</param>
    /// <param name="dtype">Element type of the placeholder.</param>
    /// <param name="name">Layer and placeholder name; default <c>input_N</c> (one-based).</param>
    public InputLayer(int[] inputShape, int? batchSize = null, DType dtype = DType.Float32, string? name = null)
        : base(name ?? "input_" + Backend.GetUid("input").ToString(System.Globalization.CultureInfo.InvariantCulture), inputShape ?? throw new ArgumentNullException(nameof(inputShape)))
    {
        BatchSize = batchSize;
        DType = dtype;
    }

    /// <summary>The static batch size, or null.</summary>
    public int? BatchSize { get; }

    /// <summary>Element type of the placeholder.</summary>
    public DType DType { get; }

    /// <summary>The placeholder as a symbolic tensor, created in <paramref name="g"/> on first use.</summary>
    internal KerasTensor Tensor(Graph g)
    {
        if (_tensor is not null) return _tensor;
        Shape shape = (int[])[BatchSize ?? -1, .. InputShape!];
        Output p;
        using (g.NameScope(null)) p = g.Placeholder(DType, shape, name: Name);
        _tensor = new KerasTensor(p, this, []);
        return _tensor;
    }

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => Single(inputs);
}
