using KerasLayer = TensorGraph.Keras.Layers.Layer;

namespace TensorGraph.Layers;

/// <summary>
/// Keras's <c>Conv2DTranspose</c> as tf.layers uses it (NHWC, no dilation or output padding): kernel
/// [kh, kw, filters, in], output size <c>deconv_output_length</c>, the core's <c>conv2d_transpose</c>.
/// </summary>
internal sealed class Conv2DTransposeLayer : KerasLayer
{
    private readonly int _filters;
    private readonly (int H, int W) _kernelSize, _strides;
    private readonly string _padding;
    private readonly bool _useBias;
    private readonly Func<Output, Output>? _activation;
    private Variable? _kernel, _bias;

    public Conv2DTransposeLayer(int filters, (int, int) kernelSize, (int, int) strides, string padding, bool useBias, Func<Output, Output>? activation, string name)
        : base(name)
    {
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), filters, "filters must be positive");
        _filters = filters;
        _kernelSize = kernelSize;
        _strides = strides;
        _padding = (padding ?? throw new ArgumentNullException(nameof(padding))).ToLowerInvariant() switch
        {
            "valid" => "VALID",
            "same" => "SAME",
            _ => throw new ArgumentException($"The `padding` argument must be one of \"valid\", \"same\". Received: {padding}", nameof(padding)),
        };
        _useBias = useBias;
        _activation = activation;
    }

    protected override void Build(Graph g, Shape[] inputShapes)
    {
        var s = inputShapes[0];
        if (!s.IsRankKnown || s.Rank != 4) throw new InvalidArgumentException($"Inputs should have rank 4. Received input shape: {s} (layer {Name})");
        if (s[3] < 0) throw new InvalidArgumentException($"The channel dimension of the inputs should be defined. Found `None`. (layer {Name})");
        _kernel = AddWeight(g, "kernel", [_kernelSize.H, _kernelSize.W, _filters, s[3]], new Keras.GlorotUniform());
        if (_useBias) _bias = AddWeight(g, "bias", [_filters], new Keras.Zeros());
    }

    // Keras's conv_utils.deconv_output_length without output padding or dilation.
    private int OutputLength(int length, int kernel, int stride) =>
        length < 0 ? -1 : _padding == "VALID" ? length * stride + Math.Max(kernel - stride, 0) : length * stride;

    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        var dims = Dims(x.Shape);
        int oh = OutputLength(dims[1], _kernelSize.H, _strides.H), ow = OutputLength(dims[2], _kernelSize.W, _strides.W);
        if (oh < 0 || ow < 0) throw new InvalidArgumentException($"conv2d_transpose needs inputs of known height and width, got {x.Shape} (layer {Name})");
        int[] strides = [1, _strides.H, _strides.W, 1];
        Output y;
        if (dims[0] >= 0) y = g.Conv2DTranspose(x, _kernel!.Value, [dims[0], oh, ow, _filters], strides, _padding);
        else
        {
            var batch = g.StridedSlice(g.ShapeOf(x), [0], [1], shrinkAxisMask: 1);
            var shape = g.Stack([batch, g.Constant(Tensor.Scalar(oh)), g.Constant(Tensor.Scalar(ow)), g.Constant(Tensor.Scalar(_filters))]);
            y = g.Conv2DTranspose(x, _kernel!.Value, shape, strides, _padding);
        }
        if (_useBias) y = g.BiasAdd(y, _bias!.Value, name: "BiasAdd");
        return _activation is null ? y : _activation(y);
    }
}
