namespace TensorGraph.Keras.Layers;

/// <summary><c>Concatenate(axis=-1)</c>: joins its inputs along an axis (<c>concatenate/concat</c>).</summary>
public sealed class Concatenate(int axis = -1, string? name = null) : Layer(name)
{
    /// <summary>The axis (negative counts from the end).</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        if (inputs.Length < 2) throw new ArgumentException($"A `Concatenate` layer should be called on a list of at least 2 inputs (layer {Name})", nameof(inputs));
        int rank = inputs[0].Shape.Rank;
        int axis = Axis < 0 && rank > 0 ? rank + Axis : Axis;
        return g.Concat(inputs, axis, name: "concat");
    }
}

/// <summary><c>Add()</c>: the element-wise sum of its inputs (<c>add/add</c>).</summary>
public sealed class Add(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        if (inputs.Length < 2) throw new ArgumentException($"A merge layer should be called on a list of at least 2 inputs. Got {inputs.Length} inputs. (layer {Name})", nameof(inputs));
        var y = inputs[0];
        for (int i = 1; i < inputs.Length; i++) y = g.AddV2(y, inputs[i], name: "add");
        return y;
    }
}

/// <summary><c>Multiply()</c>: the element-wise product of its inputs (<c>multiply/mul</c>).</summary>
public sealed class Multiply(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        if (inputs.Length < 2) throw new ArgumentException($"A merge layer should be called on a list of at least 2 inputs. Got {inputs.Length} inputs. (layer {Name})", nameof(inputs));
        var y = inputs[0];
        for (int i = 1; i < inputs.Length; i++) y = g.Multiply(y, inputs[i], name: "mul");
        return y;
    }
}
