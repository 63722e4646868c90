using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras;

/// <summary>Entry points of the functional API (<c>keras.Input</c>).</summary>
public static class Keras
{
    /// <summary>
    /// A symbolic input of samples shaped <paramref name="shape"/> (batch dimension not included):
    /// a placeholder <c>input_1</c>, <c>input_2</c>… in the Keras default graph.
    /// </summary>
    public static KerasTensor Input(int[] shape, int? batchSize = null, DType dtype = DType.Float32, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var layer = new InputLayer(shape, batchSize, dtype, name);
        return layer.Tensor(Backend.Graph);
    }
}
