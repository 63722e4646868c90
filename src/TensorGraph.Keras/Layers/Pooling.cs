namespace TensorGraph.Keras.Layers;

/// <summary>Shared helpers of the pooling and convolution layers.</summary>
internal static class Pooling
{
    /// <summary>Keras's "valid"/"same" to TF's "VALID"/"SAME"; anything else raises.</summary>
    public static string NormalizePadding(string padding) => (padding ?? throw new ArgumentNullException(nameof(padding))).ToLowerInvariant() switch
    {
        "valid" => "VALID",
        "same" => "SAME",
        _ => throw new ArgumentException($"The `padding` argument must be one of \"valid\", \"same\". Received: {padding}", nameof(padding)),
    };
}

/// <summary>What MaxPooling2D and AveragePooling2D share: window, strides (default: the window) and padding.</summary>
public abstract class Pooling2DLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    protected Pooling2DLayer((int, int)? poolSize, (int, int)? strides, string padding, string? name) : base(name)
    {
        PoolSize = poolSize ?? (2, 2);
        Strides = strides ?? PoolSize;
        Padding = Pooling.NormalizePadding(padding);
    }

    /// <summary>Window (height, width).</summary>
    public (int, int) PoolSize { get; }

    /// <summary>Strides (height, width).</summary>
    public (int, int) Strides { get; }

    /// <summary>"VALID" or "SAME".</summary>
    public string Padding { get; }

    /// <summary>The NHWC window of the pooling op.</summary>
    protected int[] Ksize => [1, PoolSize.Item1, PoolSize.Item2, 1];

    /// <summary>The NHWC strides of the pooling op.</summary>
    protected int[] StrideList => [1, Strides.Item1, Strides.Item2, 1];
}

/// <summary>
/// <c>MaxPooling2D(pool_size=(2, 2), strides=None, padding='valid')</c> (strides default to the
/// pool size): <c>max_pooling2d/MaxPool</c>.
/// </summary>
public sealed class MaxPooling2D((int, int)? poolSize = null, (int, int)? strides = null, string padding = "valid", string? name = null)
    : Pooling2DLayer(poolSize, strides, padding, name)
{
    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => g.MaxPool(Single(inputs), Ksize, StrideList, Padding, name: "MaxPool");
}

/// <summary>
/// <c>AveragePooling2D(pool_size=(2, 2), strides=None, padding='valid')</c>:
/// <c>average_pooling2d/AvgPool</c>.
/// </summary>
public sealed class AveragePooling2D((int, int)? poolSize = null, (int, int)? strides = null, string padding = "valid", string? name = null)
    : Pooling2DLayer(poolSize, strides, padding, name)
{
    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => g.AvgPool(Single(inputs), Ksize, StrideList, Padding, name: "AvgPool");
}

/// <summary><c>GlobalAveragePooling2D()</c>: the mean over height and width (<c>global_average_pooling2d/Mean</c>).</summary>
public sealed class GlobalAveragePooling2D(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => g.ReduceMean(Single(inputs), [1, 2], name: "Mean");
}

/// <summary><c>GlobalMaxPooling2D()</c>: the maximum over height and width (<c>global_max_pooling2d/Max</c>).</summary>
public sealed class GlobalMaxPooling2D(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => g.ReduceMax(Single(inputs), [1, 2], name: "Max");
}
