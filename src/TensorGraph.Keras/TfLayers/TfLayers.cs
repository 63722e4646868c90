using TensorGraph.Initializers;
using KerasInitializer = TensorGraph.Keras.Initializer;
using KerasLayer = TensorGraph.Keras.Layers.Layer;
using KerasLayers = TensorGraph.Keras.Layers;

namespace TensorGraph.Layers;

/// <summary>
/// TF 1.15's <c>tf.layers</c> functional API (<c>tf.compat.v1.layers.dense</c>, <c>conv2d</c>,
/// <c>batch_normalization</c>, …) over the Keras layers, as TF builds it: each function makes the
/// Keras layer and calls it once in tf.layers' variable management — the layer's variable scope
/// (the <c>name</c> argument when given, else the class name made unique: <c>dense</c>,
/// <c>dense_1</c>) is re-entered for the call, its ops go under the scope's original name scope
/// (<c>dense/MatMul</c>, <c>dense/BiasAdd</c>, <c>dense/Relu</c>), and the weights are
/// <see cref="Graph.GetVariable(string, Shape?, DType?, Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>
/// variables of that scope (<c>dense/kernel</c>, <c>dense/bias</c>), so <c>reuse: true</c> (or an
/// enclosing reusing scope, or <see cref="Reuse.AutoReuse"/>) with the same name shares them.
/// A kernel initializer left null is the variable scope's, else glorot_uniform; biases default to
/// zeros; a regularizer's penalty joins <see cref="GraphKeys.RegularizationLosses"/> once per
/// variable; a layer's update ops (batch normalization's moving averages) join
/// <see cref="GraphKeys.UpdateOps"/>, to be run with the train op
/// (<c>ControlDependencies(UPDATE_OPS)</c>) as in TF. Inputs are channels-last.
/// </summary>
public static class TfLayers
{
    private const string ChannelsLast = "channels_last";

    /// <summary>
    /// TF's <c>tf.layers.dense(inputs, units, activation=None, use_bias=True,
    /// kernel_initializer=None, bias_initializer=zeros_initializer(), kernel_regularizer=None,
    /// bias_regularizer=None, trainable=True, name=None, reuse=None)</c>: <c>activation(inputs · kernel + bias)</c>,
    /// kernel [in, units], bias [units].
    /// </summary>
    public static Output Dense(Output inputs, int units, Func<Output, Output>? activation = null, bool useBias = true, Initializer? kernelInitializer = null,
        Initializer? biasInitializer = null, Func<Output, Output?>? kernelRegularizer = null, Func<Output, Output?>? biasRegularizer = null,
        bool trainable = true, string? name = null, Reuse? reuse = null)
    {
        var scope = CaptureScope(inputs, name, "dense", scopeIsName: true, reuse);
        var layer = new KerasLayers.Dense(units, useBias: useBias, name: LayerName(scope));
        if (activation is not null) layer.SetActivation((_, x) => activation(x));
        return Call(layer, inputs, scope, reuse, trainable, null,
            ("kernel", kernelInitializer, kernelRegularizer), ("bias", biasInitializer ?? new Zeros(), biasRegularizer));
    }

    /// <summary>
    /// TF's <c>tf.layers.conv2d(inputs, filters, kernel_size, strides=(1, 1), padding='valid',
    /// data_format='channels_last', dilation_rate=(1, 1), activation=None, use_bias=True,
    /// kernel_initializer=None, bias_initializer=zeros_initializer(), kernel_regularizer=None,
    /// bias_regularizer=None, trainable=True, name=None, reuse=None)</c> on NHWC inputs:
    /// <c>conv2d/Conv2D</c>, <c>conv2d/BiasAdd</c>; kernel [kh, kw, in, filters].
    /// </summary>
    /// <exception cref="UnimplementedException"><paramref name="dataFormat"/> is not <c>channels_last</c>.</exception>
    public static Output Conv2D(Output inputs, int filters, (int, int) kernelSize, (int, int)? strides = null, string padding = "valid",
        string dataFormat = ChannelsLast, (int, int)? dilationRate = null, Func<Output, Output>? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Func<Output, Output?>? kernelRegularizer = null,
        Func<Output, Output?>? biasRegularizer = null, bool trainable = true, string? name = null, Reuse? reuse = null)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "conv2d", scopeIsName: true, reuse);
        var layer = new KerasLayers.Conv2D(filters, kernelSize, strides, padding, useBias: useBias, dilationRate: dilationRate, name: LayerName(scope));
        if (activation is not null) layer.SetActivation((_, x) => activation(x));
        return Call(layer, inputs, scope, reuse, trainable, null,
            ("kernel", kernelInitializer, kernelRegularizer), ("bias", biasInitializer ?? new Zeros(), biasRegularizer));
    }

    /// <summary><see cref="Conv2D(Output, int, ValueTuple{int, int}, ValueTuple{int, int}?, string, string, ValueTuple{int, int}?, Func{Output, Output}?, bool, Initializer?, Initializer?, Func{Output, Output?}?, Func{Output, Output?}?, bool, string?, Reuse?)"/> with a square kernel, equal strides and dilation (TF's int arguments).</summary>
    public static Output Conv2D(Output inputs, int filters, int kernelSize, int strides = 1, string padding = "valid",
        string dataFormat = ChannelsLast, int dilationRate = 1, Func<Output, Output>? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Func<Output, Output?>? kernelRegularizer = null,
        Func<Output, Output?>? biasRegularizer = null, bool trainable = true, string? name = null, Reuse? reuse = null) =>
        Conv2D(inputs, filters, (kernelSize, kernelSize), (strides, strides), padding, dataFormat, (dilationRate, dilationRate), activation,
            useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, trainable, name, reuse);

    /// <summary>
    /// TF's <c>tf.layers.conv1d(inputs, filters, kernel_size, strides=1, padding='valid',
    /// data_format='channels_last', dilation_rate=1, activation=None, use_bias=True, …, name=None,
    /// reuse=None)</c> on (batch, steps, channels): <c>conv1d/conv1d/ExpandDims</c>,
    /// <c>conv1d/conv1d</c>, <c>conv1d/conv1d/Squeeze</c>, <c>conv1d/BiasAdd</c>; kernel [k, in, filters].
    /// </summary>
    /// <exception cref="UnimplementedException"><paramref name="dataFormat"/> is not <c>channels_last</c>.</exception>
    public static Output Conv1D(Output inputs, int filters, int kernelSize, int strides = 1, string padding = "valid",
        string dataFormat = ChannelsLast, int dilationRate = 1, Func<Output, Output>? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Func<Output, Output?>? kernelRegularizer = null,
        Func<Output, Output?>? biasRegularizer = null, bool trainable = true, string? name = null, Reuse? reuse = null)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "conv1d", scopeIsName: true, reuse);
        var layer = new KerasLayers.Conv1D(filters, kernelSize, strides, padding, useBias: useBias, dilationRate: dilationRate, name: LayerName(scope));
        if (activation is not null) layer.SetActivation((_, x) => activation(x));
        return Call(layer, inputs, scope, reuse, trainable, null,
            ("kernel", kernelInitializer, kernelRegularizer), ("bias", biasInitializer ?? new Zeros(), biasRegularizer));
    }

    /// <summary>
    /// TF's <c>tf.layers.conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1),
    /// padding='valid', data_format='channels_last', activation=None, use_bias=True, …, name=None,
    /// reuse=None)</c>: the transpose of a convolution, kernel [kh, kw, filters, in]
    /// (<c>conv2d_transpose/conv2d_transpose</c>, a Conv2DBackpropInput whose output size is
    /// Keras's <c>deconv_output_length</c>: <c>in · stride + max(k − stride, 0)</c> for valid,
    /// <c>in · stride</c> for same), then <c>conv2d_transpose/BiasAdd</c>.
    /// </summary>
    /// <exception cref="UnimplementedException"><paramref name="dataFormat"/> is not <c>channels_last</c>.</exception>
    public static Output Conv2DTranspose(Output inputs, int filters, (int, int) kernelSize, (int, int)? strides = null, string padding = "valid",
        string dataFormat = ChannelsLast, Func<Output, Output>? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Func<Output, Output?>? kernelRegularizer = null,
        Func<Output, Output?>? biasRegularizer = null, bool trainable = true, string? name = null, Reuse? reuse = null)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "conv2d_transpose", scopeIsName: true, reuse);
        var layer = new Conv2DTransposeLayer(filters, kernelSize, strides ?? (1, 1), padding, useBias, activation, LayerName(scope));
        return Call(layer, inputs, scope, reuse, trainable, null,
            ("kernel", kernelInitializer, kernelRegularizer), ("bias", biasInitializer ?? new Zeros(), biasRegularizer));
    }

    /// <summary><see cref="Conv2DTranspose(Output, int, ValueTuple{int, int}, ValueTuple{int, int}?, string, string, Func{Output, Output}?, bool, Initializer?, Initializer?, Func{Output, Output?}?, Func{Output, Output?}?, bool, string?, Reuse?)"/> with a square kernel and equal strides.</summary>
    public static Output Conv2DTranspose(Output inputs, int filters, int kernelSize, int strides = 1, string padding = "valid",
        string dataFormat = ChannelsLast, Func<Output, Output>? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Func<Output, Output?>? kernelRegularizer = null,
        Func<Output, Output?>? biasRegularizer = null, bool trainable = true, string? name = null, Reuse? reuse = null) =>
        Conv2DTranspose(inputs, filters, (kernelSize, kernelSize), (strides, strides), padding, dataFormat, activation, useBias,
            kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, trainable, name, reuse);

    /// <summary>TF's <c>tf.layers.max_pooling2d(inputs, pool_size, strides, padding='valid', data_format='channels_last', name=None)</c>: <c>max_pooling2d/MaxPool</c>.</summary>
    public static Output MaxPooling2D(Output inputs, (int, int) poolSize, (int, int) strides, string padding = "valid", string dataFormat = ChannelsLast, string? name = null)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "max_pooling2d", scopeIsName: false, null);
        return Call(new KerasLayers.MaxPooling2D(poolSize, strides, padding, LayerName(scope)), inputs, scope, null, true, null);
    }

    /// <summary>TF's <c>max_pooling2d</c> with a square window and equal strides.</summary>
    public static Output MaxPooling2D(Output inputs, int poolSize, int strides, string padding = "valid", string dataFormat = ChannelsLast, string? name = null) =>
        MaxPooling2D(inputs, (poolSize, poolSize), (strides, strides), padding, dataFormat, name);

    /// <summary>TF's <c>tf.layers.average_pooling2d(inputs, pool_size, strides, padding='valid', data_format='channels_last', name=None)</c>: <c>average_pooling2d/AvgPool</c>.</summary>
    public static Output AveragePooling2D(Output inputs, (int, int) poolSize, (int, int) strides, string padding = "valid", string dataFormat = ChannelsLast, string? name = null)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "average_pooling2d", scopeIsName: false, null);
        return Call(new KerasLayers.AveragePooling2D(poolSize, strides, padding, LayerName(scope)), inputs, scope, null, true, null);
    }

    /// <summary>TF's <c>average_pooling2d</c> with a square window and equal strides.</summary>
    public static Output AveragePooling2D(Output inputs, int poolSize, int strides, string padding = "valid", string dataFormat = ChannelsLast, string? name = null) =>
        AveragePooling2D(inputs, (poolSize, poolSize), (strides, strides), padding, dataFormat, name);

    /// <summary>TF's <c>tf.layers.max_pooling1d(inputs, pool_size, strides, padding='valid', data_format='channels_last', name=None)</c>: <c>max_pooling1d/ExpandDims</c>, <c>MaxPool</c>, <c>Squeeze</c>.</summary>
    public static Output MaxPooling1D(Output inputs, int poolSize, int strides, string padding = "valid", string dataFormat = ChannelsLast, string? name = null)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "max_pooling1d", scopeIsName: false, null);
        return Call(new KerasLayers.MaxPooling1D(poolSize, strides, padding, LayerName(scope)), inputs, scope, null, true, null);
    }

    /// <summary>TF's <c>tf.layers.average_pooling1d(inputs, pool_size, strides, padding='valid', data_format='channels_last', name=None)</c>: <c>average_pooling1d/ExpandDims</c>, <c>AvgPool</c>, <c>Squeeze</c>.</summary>
    public static Output AveragePooling1D(Output inputs, int poolSize, int strides, string padding = "valid", string dataFormat = ChannelsLast, string? name = null)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "average_pooling1d", scopeIsName: false, null);
        return Call(new KerasLayers.AveragePooling1D(poolSize, strides, padding, LayerName(scope)), inputs, scope, null, true, null);
    }

    /// <summary>TF's <c>tf.layers.flatten(inputs, name=None, data_format='channels_last')</c>: (batch, d1, d2, …) to (batch, d1·d2·…), <c>flatten/Reshape</c>.</summary>
    public static Output Flatten(Output inputs, string? name = null, string dataFormat = ChannelsLast)
    {
        RequireChannelsLast(dataFormat);
        var scope = CaptureScope(inputs, name, "flatten", scopeIsName: false, null);
        return Call(new KerasLayers.Flatten(name: LayerName(scope)), inputs, scope, null, true, null);
    }

    /// <summary>
    /// TF's <c>tf.layers.dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False,
    /// name=None)</c>: with <paramref name="training"/> false the input through <c>dropout/Identity</c>;
    /// true, TF's <c>nn.dropout</c> (each value dropped with probability rate, the rest scaled by
    /// 1/(1 − rate)). <paramref name="noiseShape"/> uses −1 for TF's None (the input's run-time size).
    /// </summary>
    public static Output Dropout(Output inputs, double rate = 0.5, int[]? noiseShape = null, int? seed = null, bool training = false, string? name = null) =>
        DropoutWith(inputs, rate, noiseShape, seed, training, name);

    /// <summary>TF's <c>tf.layers.dropout</c> with a bool tensor <paramref name="training"/>: a <c>cond</c> on it (<c>dropout/cond/Merge</c>).</summary>
    public static Output Dropout(Output inputs, Output training, double rate = 0.5, int[]? noiseShape = null, int? seed = null, string? name = null) =>
        DropoutWith(inputs, rate, noiseShape, seed, training, name);

    private static Output DropoutWith(Output inputs, double rate, int[]? noiseShape, int? seed, object training, string? name)
    {
        var scope = CaptureScope(inputs, name, "dropout", scopeIsName: false, null);
        var layer = new KerasLayers.Dropout(rate, seed, name: LayerName(scope)) { NoiseShape = noiseShape is null ? null : (int[])noiseShape.Clone() };
        return Call(layer, inputs, scope, null, true, training);
    }

    /// <summary>
    /// TF's <c>tf.layers.batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3,
    /// center=True, scale=True, beta_initializer=zeros, gamma_initializer=ones,
    /// moving_mean_initializer=zeros, moving_variance_initializer=ones, beta_regularizer=None,
    /// gamma_regularizer=None, training=False, trainable=True, name=None, reuse=None)</c>: variables
    /// <c>batch_normalization/gamma</c>, <c>beta</c>, <c>moving_mean</c>, <c>moving_variance</c>
    /// (the last two not trainable). With <paramref name="training"/> false it normalizes with the
    /// moving statistics and adds no updates; true, with the batch's mean and biased variance, and
    /// the updates <c>moving ← moving − (moving − batch)·(1 − momentum)</c> (<c>AssignMovingAvg</c>,
    /// <c>AssignMovingAvg_1</c>) join <see cref="GraphKeys.UpdateOps"/>.
    /// </summary>
    /// <exception cref="UnimplementedException">An axis other than the last.</exception>
    public static Output BatchNormalization(Output inputs, int axis = -1, double momentum = 0.99, double epsilon = 1e-3, bool center = true, bool scale = true,
        Initializer? betaInitializer = null, Initializer? gammaInitializer = null, Initializer? movingMeanInitializer = null,
        Initializer? movingVarianceInitializer = null, Func<Output, Output?>? betaRegularizer = null, Func<Output, Output?>? gammaRegularizer = null,
        bool training = false, bool trainable = true, string? name = null, Reuse? reuse = null) =>
        BatchNormalizationWith(inputs, axis, momentum, epsilon, center, scale, betaInitializer, gammaInitializer, movingMeanInitializer,
            movingVarianceInitializer, betaRegularizer, gammaRegularizer, training, trainable, name, reuse);

    /// <summary>
    /// TF's <c>tf.layers.batch_normalization</c> with a bool tensor <paramref name="training"/>: the
    /// statistics are <c>cond</c>s on it (<c>batch_normalization/cond</c>, <c>cond_1</c>), so at
    /// inference the updates in <see cref="GraphKeys.UpdateOps"/> leave the moving statistics as they are.
    /// </summary>
    /// <exception cref="UnimplementedException">An axis other than the last.</exception>
    public static Output BatchNormalization(Output inputs, Output training, int axis = -1, double momentum = 0.99, double epsilon = 1e-3, bool center = true,
        bool scale = true, Initializer? betaInitializer = null, Initializer? gammaInitializer = null, Initializer? movingMeanInitializer = null,
        Initializer? movingVarianceInitializer = null, Func<Output, Output?>? betaRegularizer = null, Func<Output, Output?>? gammaRegularizer = null,
        bool trainable = true, string? name = null, Reuse? reuse = null) =>
        BatchNormalizationWith(inputs, axis, momentum, epsilon, center, scale, betaInitializer, gammaInitializer, movingMeanInitializer,
            movingVarianceInitializer, betaRegularizer, gammaRegularizer, training, trainable, name, reuse);

    private static Output BatchNormalizationWith(Output inputs, int axis, double momentum, double epsilon, bool center, bool scale,
        Initializer? betaInitializer, Initializer? gammaInitializer, Initializer? movingMeanInitializer, Initializer? movingVarianceInitializer,
        Func<Output, Output?>? betaRegularizer, Func<Output, Output?>? gammaRegularizer, object training, bool trainable, string? name, Reuse? reuse)
    {
        int rank = inputs.Shape.IsRankKnown ? inputs.Shape.Rank : -1;
        if (axis != -1 && axis != rank - 1)
            throw new UnimplementedException($"batch_normalization normalizes over the last axis only (axis=-1), got axis={axis} for an input of rank {rank}");
        var scope = CaptureScope(inputs, name, "batch_normalization", scopeIsName: true, reuse);
        var layer = new KerasLayers.BatchNormalization(momentum, epsilon, center, scale, name: LayerName(scope));
        return Call(layer, inputs, scope, reuse, trainable, training,
            ("gamma", gammaInitializer ?? new Ones(), gammaRegularizer), ("beta", betaInitializer ?? new Zeros(), betaRegularizer),
            ("moving_mean", movingMeanInitializer ?? new Zeros(), null), ("moving_variance", movingVarianceInitializer ?? new Ones(), null));
    }

    private static void RequireChannelsLast(string dataFormat)
    {
        if (dataFormat != ChannelsLast)
            throw new UnimplementedException($"tf.layers here takes data_format='channels_last' only, got '{dataFormat}'");
    }

    // tf.layers' Layer.__init__ (`_scope=name`: variable_scope(name)) and _set_scope (with reuse:
    // variable_scope(name or base name); else variable_scope(None, default_name=name or base name),
    // made unique): the scope is captured by opening and closing it, as TF does.
    private static VariableScope CaptureScope(Output inputs, string? name, string baseName, bool scopeIsName, Reuse? reuse)
    {
        if (inputs.Op is null) throw new ArgumentException("The input is a default (unset) Output", nameof(inputs));
        var g = inputs.Graph;
        if (!string.IsNullOrEmpty(name) && scopeIsName)
        {
            using var named = g.VariableScope(name);
            return named;
        }
        var b = string.IsNullOrEmpty(name) ? baseName : name;
        if (reuse is { IsSet: true })
        {
            using var reused = g.VariableScope(b);
            return reused;
        }
        using var made = g.VariableScope(null, defaultName: b);
        return made;
    }

    private static string LayerName(VariableScope scope) => scope.Name.Split('/')[^1];

    // tf.layers' __call__ and add_weight: the call re-enters the captured variable scope (reuse as
    // given, without a name scope of its own) and opens its original name scope; each weight is a
    // GetVariable of that scope with the tf.layers initializer and regularizer of its name.
    private static Output Call(KerasLayer layer, Output inputs, VariableScope scope, Reuse? reuse, bool trainable, object? training,
        params (string Name, Initializer? Init, Func<Output, Output?>? Regularizer)[] weights)
    {
        layer.CallScope = g =>
        {
            var vs = g.VariableScope(scope, reuse: reuse, auxiliaryNameScope: false);
            try
            {
                var ns = g.NameScope(scope.OriginalNameScope);
                return new Scopes(ns, vs);
            }
            catch
            {
                vs.Dispose();
                throw;
            }
        };
        layer.WeightGetter = (g, name, shape, kerasInit, weightTrainable, dtype) =>
        {
            int i = Array.FindIndex(weights, w => w.Name == name);
            var init = i >= 0 ? weights[i].Init : new FromKeras(kerasInit);
            var reg = i >= 0 ? weights[i].Regularizer : null;
            return g.GetVariable(name, new Shape(shape), dtype, init, reg, trainable: weightTrainable && trainable);
        };
        layer.Training = training;
        var output = layer.Apply(inputs);
        foreach (var op in layer.Updates) inputs.Graph.AddToCollection(GraphKeys.UpdateOps, op);
        return output;
    }

    private sealed class Scopes(IDisposable nameScope, IDisposable variableScope) : IDisposable
    {
        public void Dispose()
        {
            nameScope.Dispose();
            variableScope.Dispose();
        }
    }

    // A Keras initializer a layer asks for where tf.layers names none of its own.
    private sealed class FromKeras(KerasInitializer keras) : Initializer(DType.Float32)
    {
        public override Output Call(Graph graph, int[] shape, DType dtype) => keras.Create(graph, shape, dtype);
    }
}
