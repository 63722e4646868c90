using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras;

/// <summary>
/// A symbolic tensor of the functional API: an <see cref="Output"/> of the Keras graph plus the
/// layer call that made it (Keras's <c>_keras_history</c>).
/// </summary>
public sealed class KerasTensor
{
    internal KerasTensor(Output output, Layer layer, IReadOnlyList<KerasTensor> inbound, int index = 0, Output? mask = null)
    {
        Mask = mask;
        Output = output;
        Layer = layer;
        Inbound = inbound;
        Index = index;
    }

    /// <summary>
    /// The boolean mask [batch, time] of the steps that hold data (Keras's <c>_keras_mask</c>), made
    /// by <c>Embedding(maskZero: true)</c> and carried by the layers that support masking; null for none.
    /// </summary>
    public Output? Mask { get; }

    /// <summary>Which output of the layer call this is (Keras's tensor index: 0, or a state of an RNN with return_state).</summary>
    public int Index { get; }

    /// <summary>The graph tensor.</summary>
    public Output Output { get; }

    /// <summary>The layer whose call produced this tensor.</summary>
    public Layer Layer { get; }

    /// <summary>The tensors that call consumed.</summary>
    public IReadOnlyList<KerasTensor> Inbound { get; }

    /// <summary>Static shape, batch dimension first (-1 when unknown).</summary>
    public Shape Shape => Output.Shape;

    /// <summary>Element type.</summary>
    public DType DType => Output.DType;

    /// <summary>The graph the tensor lives in.</summary>
    public Graph Graph => Output.Graph;

    /// <inheritdoc/>
    public override string ToString() => $"<KerasTensor '{Output.Name}' shape={Shape} dtype={DType.Name()}>";

    /// <summary>The graph tensor.</summary>
    public static implicit operator Output(KerasTensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.Output;
    }
}
