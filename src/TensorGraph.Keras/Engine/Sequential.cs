using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras;

/// <summary>
/// A linear stack of layers (Keras's <c>Sequential</c>). Built at <see cref="Add"/> time when the
/// first layer has an input shape (or is an <see cref="InputLayer"/>): the input placeholder is
/// <c>&lt;first layer&gt;_input</c> and the ops carry the layers' names (<c>dense/MatMul</c>).
/// Otherwise it is built on the first fit/evaluate/predict data, as tf.keras 1.15 does: input
/// <c>input_1</c>, every op under the model's scope (<c>sequential/dense/MatMul</c>), outputs named
/// <c>output_1</c>.
/// </summary>
public class Sequential : Model
{
    private readonly List<Layer> _layers = [];
    private KerasTensor? _input;

    /// <summary>A stack of these layers.</summary>
    public Sequential(params Layer[] layers) : this(layers, null) { }

    /// <summary>A named stack of these layers.</summary>
    public Sequential(IEnumerable<Layer>? layers, string? name) : base(name)
    {
        foreach (var l in layers ?? []) Add(l);
    }

    /// <summary>The layers (an InputLayer given first is not among them, as in Keras).</summary>
    public override IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Appends a layer; on a built model it is called on the current output at once.</summary>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_layers.Contains(layer)) throw new ArgumentException($"Layer {layer.Name} is already in the model", nameof(layer));
        if (layer.OutputCount != 1)
            throw new ArgumentException($"All layers in a Sequential model should have a single output tensor. For multi-output layers, use the functional API. (layer {layer.Name} has {layer.OutputCount})", nameof(layer));
        if (_input is null && _layers.Count == 0)
        {
            if (layer is InputLayer il)
            {
                _input = il.Tensor(Backend.Graph);
                return;
            }
            if (layer.InputShape is { } shape)
            {
                var input = new InputLayer([.. shape], name: layer.Name + "_input");
                _input = input.Tensor(Backend.Graph);
            }
        }
        _layers.Add(layer);
        if (_input is not null)
        {
            var prev = Built ? Outputs[0] : _input;
            var y = layer.Apply(prev);
            SetGraphNetwork([_input], [y], [layer.Name]);
        }
        else Invalidate();
    }

    /// <summary>Removes the last layer; a built model's output becomes the previous layer's output.</summary>
    public void Pop()
    {
        if (_layers.Count == 0) throw new InvalidOperationException("There are no layers in the model.");
        _layers.RemoveAt(_layers.Count - 1);
        if (_input is null) { Invalidate(); return; }
        if (_layers.Count == 0) SetGraphNetwork([], [], []);
        else SetGraphNetwork([_input], [_layers[^1].Output], [_layers[^1].Name]);
    }

    /// <summary>Builds a deferred model for inputs shaped like <paramref name="x"/>'s samples.</summary>
    private protected override void BuildOnData(Tensor[] x)
    {
        if (Built) return;
        if (_layers.Count == 0) throw new InvalidOperationException("You tried to call `fit`, `evaluate` or `predict` on an empty Sequential model.");
        if (x.Length != 1) throw new ArgumentException($"A Sequential model takes one input array, got {x.Length}");
        Build([.. x[0].Dims[1..]]);
    }

    /// <summary>Builds a deferred model for samples of shape <paramref name="inputShape"/> (Keras's <c>build((None,) + shape)</c>).</summary>
    public void Build(int[] inputShape, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (Built) return;
        if (_layers.Count == 0) throw new InvalidOperationException("You tried to build an empty Sequential model.");
        var g = Backend.Graph;
        var input = new InputLayer(inputShape, dtype: dtype, name: "input_1");
        var t = input.Tensor(g);
        KerasTensor y = t;
        using (g.NameScope(Name))
            foreach (var l in _layers) y = l.Apply(y);
        _input = null;
        SetGraphNetwork([t], [y], ["output_1"]);
    }
}
