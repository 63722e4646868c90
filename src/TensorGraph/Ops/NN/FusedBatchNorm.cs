using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// FusedBatchNorm, FusedBatchNormV2 and FusedBatchNormV3 (TF 1.15's ops and CPU kernel): inputs x
/// (4-D, NHWC or NCHW), scale, offset, mean, variance; outputs y, batch_mean, batch_variance,
/// reserve_space_1, reserve_space_2 (and reserve_space_3 for V3). In training mode the batch's
/// mean and biased variance normalize x, batch_variance is the unbiased (Bessel-corrected)
/// variance, and the reserve spaces hold the mean and the biased variance for the gradient (mean
/// and variance inputs are ignored, usually empty). In inference mode the given mean and variance
/// normalize x and are passed through (TF leaves the reserve spaces unwritten; here they get them
/// too). reserve_space_3 is an unused scalar.
/// </summary>
internal abstract class FusedBatchNormSpecBase : OpSpec
{
    /// <summary>1, 2 or 3.</summary>
    protected abstract int Version { get; }

    private static readonly IReadOnlyList<AttrSpec> ForwardV1 = [.. BatchNormCommon.AttrsV1, BatchNormCommon.ExponentialAvgFactor];

    private static readonly IReadOnlyList<AttrSpec> ForwardV2 = [.. BatchNormCommon.AttrsV2, BatchNormCommon.ExponentialAvgFactor];

    public override IReadOnlyList<AttrSpec> Attrs => Version == 1 ? ForwardV1 : ForwardV2;

    protected override string[] InputArgs => Version == 1
        ? ["x: T", "scale: T", "offset: T", "mean: T", "variance: T"]
        : ["x: T", "scale: U", "offset: U", "mean: U", "variance: U"];

    protected override string[] OutputArgs => Version switch
    {
        1 => ["y: T", "batch_mean: T", "batch_variance: T", "reserve_space_1: T", "reserve_space_2: T"],
        2 => ["y: T", "batch_mean: U", "batch_variance: U", "reserve_space_1: U", "reserve_space_2: U"],
        _ => ["y: T", "batch_mean: U", "batch_variance: U", "reserve_space_1: U", "reserve_space_2: U", "reserve_space_3: U"],
    };

    public override void Infer(InferContext c)
    {
        var t = BatchNormCommon.CheckTypes(c, [0], [1, 2, 3, 4]);
        bool nchw = ConvCommon.IsNchw(c.Attr("data_format").S.ToStringUtf8(), Type);
        bool training = c.AttrBool("is_training");
        var x = BatchNormCommon.Rank4(c, 0, "x");
        int axis = nchw ? 1 : 3;
        int channels = x[axis];
        // Like TF's FusedBatchNormShape: scale and offset always, mean and variance only for inference.
        string[] names = ["scale", "offset", "mean", "variance"];
        for (int i = 1; i < (training ? 3 : 5); i++) channels = BatchNormCommon.MergeVector(c, i, channels, names[i - 1]);
        c.AddOutput(t, BatchNormCommon.WithDim(x, axis, channels));
        for (int i = 0; i < 4; i++) c.AddOutput(t, new Shape(channels));
        if (Version == 3) c.AddOutput(t, Shape.Unknown);
    }

    /// <summary>
    /// TF 1.15's <c>_BaseFusedBatchNormGrad</c>. Training: the gradient op reads the forward op's reserve
    /// spaces and all five of its outputs are returned (the last two, empty, go to mean and
    /// variance). Inference: it reads the population mean and variance, in NHWC (NCHW inputs are
    /// transposed around it), and mean and variance get no gradient. Only y's gradient is used.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var op = c.Op;
        var x = c.X;
        var gradY = c.Grad;
        var scale = c.Input(1);
        float epsilon = op.GetAttrFloat("epsilon");
        string dataFormat = op.GetAttrString("data_format");
        bool isTraining = op.GetAttrBool("is_training");
        bool v3 = Version == 3;
        if (isTraining)
        {
            Output[] inputs = v3 ? [gradY, x, scale, op[3], op[4], op[5]] : [gradY, x, scale, op[3], op[4]];
            var t = g.AddFusedBatchNormGrad(Version, inputs, epsilon, dataFormat, true);
            return [t[0], t[1], t[2], t[3], t[4]];
        }
        var popMean = c.Input(3);
        var popVar = c.Input(4);
        bool nchw = dataFormat == "NCHW";
        if (nchw)
        {
            x = g.Transpose(x, [0, 2, 3, 1]);
            gradY = g.Transpose(gradY, [0, 2, 3, 1]);
        }
        Output[] args = v3 ? [gradY, x, scale, popMean, popVar, op[5]] : [gradY, x, scale, popMean, popVar];
        var grad = g.AddFusedBatchNormGrad(Version, args, epsilon, "NHWC", false);
        var dx = grad[0];
        if (nchw) dx = g.Transpose(dx, [0, 3, 1, 2]);
        return [dx, grad[1], grad[2], null, null];
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (eps, nchw, training) = BatchNormCommon.Attrs(b.Op);
        double factor = b.Op.HasAttr("exponential_avg_factor") ? b.Op.GetAttrFloat("exponential_avg_factor") : 1.0;
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(eps, nchw, training, Version == 3, Type, factor),
            DType.Float64 => new Kernel<double>(eps, nchw, training, Version == 3, Type, factor),
            var t => throw new UnimplementedException($"{Type} has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(double epsilon, bool nchw, bool training, bool v3, string type, double factor) : OpKernel
        where T : unmanaged, INumberBase<T>
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            if (x.Rank != 4) throw new InvalidArgumentException($"input must be 4-dimensional{Shape.Format(x.Dims)}");
            var (outer, c, inner) = BatchNorm.View(x.Dims, nchw);
            var scale = ctx.Input(1);
            var offset = ctx.Input(2);
            var mean = ctx.Input(3);
            var variance = ctx.Input(4);
            BatchNormCommon.RequireVector(scale, c, "scale", type);
            BatchNormCommon.RequireVector(offset, c, "offset", type);
            if (mean.Rank != 1) throw new InvalidArgumentException($"estimated_mean must be 1-dimensional{Shape.Format(mean.Dims)}");
            if (variance.Rank != 1) throw new InvalidArgumentException($"estimated_variance must be 1-dimensional{Shape.Format(variance.Dims)}");
            bool average = training && factor != 1.0;
            if (!training || average)
            {
                if (mean.Size != c)
                    throw new InvalidArgumentException($"When is_training=false or exponential_avg_factor != 1, mean must have the same number of elements as the channels of x, got {mean.Size} and {c}");
                if (variance.Size != c)
                    throw new InvalidArgumentException($"When is_training=false or exponential_avg_factor != 1, variance must have the same number of elements as the channels of x, got {variance.Size} and {c}");
            }
            var dt = x.DType;
            var y = ctx.AllocateOutput(0, dt, x.Dims);
            Span<int> vec = [c];
            var batchMean = ctx.AllocateOutput(1, dt, vec);
            var batchVar = ctx.AllocateOutput(2, dt, vec);
            var savedMean = ctx.AllocateOutput(3, dt, vec);
            var savedVar = ctx.AllocateOutput(4, dt, vec);
            if (v3) ctx.AllocateOutput(5, dt, []).Span<T>()[0] = T.Zero;
            BatchNorm.Forward<T>(x.Span<T>(), scale.Span<T>(), offset.Span<T>(), mean.Span<T>(), variance.Span<T>(), epsilon, training,
                outer, c, inner, y.Span<T>(), batchMean.Span<T>(), batchVar.Span<T>(), savedMean.Span<T>(), savedVar.Span<T>());
            if (average)
            {
                // Running averages, as TF 2.2+ computes them: (1 - f)·given + f·batch (the variance unbiased).
                var bm = batchMean.Span<T>();
                var bv = batchVar.Span<T>();
                var om = mean.Span<T>();
                var ov = variance.Span<T>();
                T f = T.CreateTruncating(factor), keep = T.CreateTruncating(1.0 - factor);
                for (int k = 0; k < c; k++)
                {
                    bm[k] = keep * om[k] + f * bm[k];
                    bv[k] = keep * ov[k] + f * bv[k];
                }
            }
        }
    }
}

/// <summary>FusedBatchNorm: T = float32 for every input and output.</summary>
internal sealed class FusedBatchNormSpec : FusedBatchNormSpecBase
{
    public const string OpType = "FusedBatchNorm";

    public override string Type => OpType;

    protected override int Version => 1;
}

/// <summary>FusedBatchNormV2: T for x and y, U for the rest.</summary>
internal sealed class FusedBatchNormV2Spec : FusedBatchNormSpecBase
{
    public const string OpType = "FusedBatchNormV2";

    public override string Type => OpType;

    protected override int Version => 2;
}

/// <summary>FusedBatchNormV3: V2 plus a reserve_space_3 output (an unused scalar on CPU).</summary>
internal sealed class FusedBatchNormV3Spec : FusedBatchNormSpecBase
{
    public const string OpType = "FusedBatchNormV3";

    public override string Type => OpType;

    protected override int Version => 3;
}

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.nn.fused_batch_norm</c>: a <c>FusedBatchNormV3</c> node. In training mode
    /// <paramref name="mean"/> and <paramref name="variance"/> must be null (empty constants are
    /// passed, as TF does) and the returned variance is the unbiased batch variance; for inference
    /// pass the population mean and variance, which are returned unchanged. Epsilon is raised to at
    /// least 1.001e-5, as TF does for cuDNN.
    /// </summary>
    public (Output Y, Output BatchMean, Output BatchVariance) FusedBatchNorm(Output x, Output scale, Output offset,
        Output? mean = null, Output? variance = null, float epsilon = 0.001f, string dataFormat = "NHWC", bool isTraining = true,
        string? name = null)
    {
        if (isTraining && (mean is not null || variance is not null))
            throw new ArgumentException("Both 'mean' and 'variance' must be None if is_training is True.");
        var u = scale.DType;
        var m = mean ?? Constant(Tensor.Create(Array.Empty<float>(), 0), u);
        var v = variance ?? Constant(Tensor.Create(Array.Empty<float>(), 0), u);
        const float minEpsilon = 1.001e-5f;
        if (!(epsilon > minEpsilon)) epsilon = minEpsilon;
        var op = AddFusedBatchNorm(FusedBatchNormV3Spec.OpType, x, scale, offset, m, v, epsilon, dataFormat, isTraining, name);
        return (op[0], op[1], op[2]);
    }

    /// <summary>A raw <c>FusedBatchNorm</c>, <c>FusedBatchNormV2</c> or <c>FusedBatchNormV3</c> node (all its outputs).</summary>
    internal Operation AddFusedBatchNorm(string type, Output x, Output scale, Output offset, Output mean, Output variance,
        float epsilon = 0.0001f, string dataFormat = "NHWC", bool isTraining = true, string? name = null)
    {
        var attrs = BatchNormCommon.NodeAttrs(x.DType, type != FusedBatchNormSpec.OpType ? scale.DType : null, epsilon, dataFormat, isTraining);
        return AddOp(type, [x, scale, offset, mean, variance], name, type, attrs);
    }
}
