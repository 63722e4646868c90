namespace TensorGraph.Keras.Layers;

/// <summary>Keras's activation functions by name (<c>keras.activations.get</c>).</summary>
public static class Activations
{
    /// <summary>
    /// The activation a string names: relu, softmax, sigmoid, tanh, softplus, softsign, elu,
    /// selu, exponential, hard_sigmoid, linear (or null: identity). An unknown name raises.
    /// </summary>
    public static Func<Graph, Output, Output> Get(string? name) => (name?.ToLowerInvariant()) switch
    {
        null or "linear" => static (_, x) => x,
        "relu" => static (g, x) => g.Relu(x),
        "softmax" => static (g, x) => g.Softmax(x),
        "sigmoid" => static (g, x) => g.Sigmoid(x),
        "tanh" => static (g, x) => g.Tanh(x),
        "softplus" => static (g, x) => g.Softplus(x),
        "softsign" => static (g, x) => g.Softsign(x),
        "elu" => static (g, x) => g.Elu(x),
        "selu" => static (g, x) => g.Selu(x),
        "exponential" => static (g, x) => g.Exp(x),
        "hard_sigmoid" => static (g, x) => Backend.HardSigmoid(x),
        _ => throw new ArgumentException($"Unknown activation function: {name}", nameof(name)),
    };
}
