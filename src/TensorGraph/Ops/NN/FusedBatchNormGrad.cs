using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// FusedBatchNormGrad, FusedBatchNormGradV2 and FusedBatchNormGradV3 (TF 1.15's CPU kernel):
/// inputs y_backprop, x, scale, reserve_space_1, reserve_space_2 (and reserve_space_3 for V3,
/// unused); outputs x_backprop, scale_backprop, offset_backprop and two placeholders. In training
/// mode the reserve spaces are the forward op's batch mean and biased variance; in inference mode
/// they are the population mean and variance. The placeholders are empty in training mode and, as
/// TF's shape function says (its kernel returns them empty), zeros of length C in inference mode.
/// TF's inference-mode kernel takes NHWC only (its gradient transposes NCHW around it); NCHW is
/// accepted here too.
/// </summary>
internal abstract class FusedBatchNormGradSpecBase : OpSpec
{
    /// <summary>1, 2 or 3.</summary>
    protected abstract int Version { get; }

    public override IReadOnlyList<AttrSpec> Attrs => Version == 1 ? BatchNormCommon.AttrsV1 : BatchNormCommon.AttrsV2;

    protected override string[] InputArgs => Version switch
    {
        1 => ["y_backprop: T", "x: T", "scale: T", "reserve_space_1: T", "reserve_space_2: T"],
        2 => ["y_backprop: T", "x: T", "scale: float", "reserve_space_1: U", "reserve_space_2: U"],
        _ => ["y_backprop: T", "x: T", "scale: float", "reserve_space_1: U", "reserve_space_2: U", "reserve_space_3: U"],
    };

    protected override string[] OutputArgs => Version switch
    {
        1 => ["x_backprop: T", "scale_backprop: T", "offset_backprop: T", "reserve_space_3: T", "reserve_space_4: T"],
        2 => ["x_backprop: T", "scale_backprop: U", "offset_backprop: U", "reserve_space_3: U", "reserve_space_4: U"],
        _ => ["x_backprop: T", "scale_backprop: U", "offset_backprop: U", "reserve_space_4: U", "reserve_space_5: U"],
    };

    public override void Infer(InferContext c)
    {
        int[] uInputs = Version == 3 ? [2, 3, 4, 5] : [2, 3, 4];
        var t = BatchNormCommon.CheckTypes(c, [0, 1], uInputs);
        bool nchw = ConvCommon.IsNchw(c.Attr("data_format").S.ToStringUtf8(), Type);
        bool training = c.AttrBool("is_training");
        var dy = BatchNormCommon.Rank4(c, 0, "y_backprop");
        var x = BatchNormCommon.Rank4(c, 1, "x");
        int axis = nchw ? 1 : 3;
        int channels = BatchNormCommon.MergeDim(c, dy[axis], x[axis]);
        string[] names = ["scale", "reserve_space_1", "reserve_space_2"];
        for (int i = 2; i < 5; i++) channels = BatchNormCommon.MergeVector(c, i, channels, names[i - 2]);
        c.AddOutput(t, BatchNormCommon.WithDim(dy, axis, channels));
        c.AddOutput(t, new Shape(channels));
        c.AddOutput(t, new Shape(channels));
        var placeholder = new Shape(training ? 0 : channels);
        c.AddOutput(t, placeholder);
        c.AddOutput(t, placeholder);
    }

    /// <summary>
    /// TF 1.15's <c>_FusedBatchNormGradGrad</c>: rebuild the gradient as ordinary ops (_BatchNormGrad) and
    /// differentiate that with the incoming gradients of x_backprop, scale_backprop and
    /// offset_backprop; y_backprop, x and scale get gradients, the reserve spaces none.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var op = c.Op;
        var gradY = c.Input(0);
        var x = c.Input(1);
        var scale = c.Input(2);
        float epsilon = op.GetAttrFloat("epsilon");
        bool nchw = op.GetAttrString("data_format") == "NCHW";
        bool isTraining = op.GetAttrBool("is_training");
        var (gx, gscale, goffset) = BatchNormGradOps(g, gradY, x, scale, c.Input(3), c.Input(4), epsilon, nchw, isTraining);
        Output[] initial =
        [
            c.Grads[0] ?? g.ZerosLike(gx),
            c.Grads[1] ?? g.ZerosLike(gscale),
            c.Grads[2] ?? g.ZerosLike(goffset),
        ];
        var d = g.Gradients([gx, gscale, goffset], [gradY, x, scale], initial);
        var result = new Output?[op.NumInputs];
        result[0] = d[0];
        result[1] = d[1];
        result[2] = d[2];
        return result;
    }

    /// <summary>TF 1.15's <c>_BatchNormGrad</c>: the three input gradients of batch norm as differentiable ops.</summary>
    private static (Output Dx, Output Dscale, Output Doffset) BatchNormGradOps(Graph g, Output gradY, Output x, Output scale,
        Output popMean, Output popVar, float epsilon, bool nchw, bool isTraining)
    {
        int[] axis = nchw ? [0, 2, 3] : [0, 1, 2];
        double eps = epsilon;
        if (isTraining)
        {
            bool keepDims = nchw;
            if (nchw) scale = g.Reshape(scale, g.Stack([g.Constant(1), g.Size(scale), g.Constant(1), g.Constant(1)]));
            var meanGradY = g.ReduceMean(gradY, axis, keepDims);
            var meanX = g.ReduceMean(x, axis, keepDims);
            var varX = g.ReduceMean(g.SquaredDifference(x, g.StopGradient(meanX)), axis, keepDims);
            var gradYOffset = gradY - meanGradY;
            var xOffset = x - meanX;
            var mean = g.ReduceMean(gradY * xOffset, axis, keepDims);
            var gradX = scale * g.Rsqrt(varX + eps) * (gradYOffset - g.Reciprocal(varX + eps) * mean * xOffset);
            var gradScale = g.Rsqrt(varX + eps) * g.ReduceSum(gradY * xOffset, axis, keepDims);
            if (nchw) gradScale = g.Squeeze(gradScale);
            var gradOffset = g.ReduceSum(gradY, axis);
            return (gradX, gradScale, gradOffset);
        }
        if (nchw)
        {
            var shape = g.Stack([g.Constant(1), g.Size(popMean), g.Constant(1), g.Constant(1)]);
            popMean = g.Reshape(popMean, shape);
            popVar = g.Reshape(popVar, shape);
            scale = g.Reshape(scale, shape);
        }
        var offsetGrad = g.ReduceSum(gradY, axis);
        var varRsqrt = g.Rsqrt(popVar + eps);
        var scaleGrad = g.ReduceSum(gradY * (x - popMean) * varRsqrt, axis);
        var xGrad = gradY * scale * varRsqrt;
        return (xGrad, scaleGrad, offsetGrad);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var (eps, nchw, training) = BatchNormCommon.Attrs(b.Op);
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(eps, nchw, training, Type),
            DType.Float64 => new Kernel<double>(eps, nchw, training, Type),
            var t => throw new UnimplementedException($"{Type} has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(double epsilon, bool nchw, bool training, string type) : OpKernel
        where T : unmanaged, INumberBase<T>
    {
        public override void Compute(OpContext ctx)
        {
            var dy = ctx.Input(0);
            var x = ctx.Input(1);
            if (dy.Rank != 4) throw new InvalidArgumentException($"input must be 4-dimensional{Shape.Format(dy.Dims)}");
            if (x.Rank != 4) throw new InvalidArgumentException($"input must be 4-dimensional{Shape.Format(x.Dims)}");
            if (!x.Dims.SequenceEqual(dy.Dims))
                throw new InvalidArgumentException($"x and y_backprop must have same shape, but x has shape {Shape.Format(x.Dims)} and y_backprop has shape {Shape.Format(dy.Dims)}");
            var (outer, c, inner) = BatchNorm.View(x.Dims, nchw);
            var scale = ctx.Input(2);
            var mean = ctx.Input(3);
            var variance = ctx.Input(4);
            BatchNormCommon.RequireVector(scale, c, "scale", type);
            BatchNormCommon.RequireVector(mean, c, "reserve_space_1", type);
            BatchNormCommon.RequireVector(variance, c, "reserve_space_2", type);
            var dt = x.DType;
            var dx = ctx.AllocateOutput(0, dt, x.Dims);
            Span<int> vec = [c];
            var dscale = ctx.AllocateOutput(1, dt, vec);
            var doffset = ctx.AllocateOutput(2, dt, vec);
            Span<int> placeholder = [training ? 0 : c];
            ctx.AllocateOutput(3, dt, placeholder).Span<T>().Clear();
            ctx.AllocateOutput(4, dt, placeholder).Span<T>().Clear();
            BatchNorm.Backward<T>(dy.Span<T>(), x.Span<T>(), scale.Span<T>(), mean.Span<T>(), variance.Span<T>(), epsilon, training,
                outer, c, inner, dx.Span<T>(), dscale.Span<T>(), doffset.Span<T>());
        }
    }
}

/// <summary>FusedBatchNormGrad: every input and output of type T.</summary>
internal sealed class FusedBatchNormGradSpec : FusedBatchNormGradSpecBase
{
    public const string OpType = "FusedBatchNormGrad";

    public override string Type => OpType;

    protected override int Version => 1;
}

/// <summary>FusedBatchNormGradV2: T for y_backprop, x and x_backprop, U (and float scale) for the rest.</summary>
internal sealed class FusedBatchNormGradV2Spec : FusedBatchNormGradSpecBase
{
    public const string OpType = "FusedBatchNormGradV2";

    public override string Type => OpType;

    protected override int Version => 2;
}

/// <summary>FusedBatchNormGradV3: V2 plus a reserve_space_3 input (unused on CPU).</summary>
internal sealed class FusedBatchNormGradV3Spec : FusedBatchNormGradSpecBase
{
    public const string OpType = "FusedBatchNormGradV3";

    public override string Type => OpType;

    protected override int Version => 3;
}

public sealed partial class Graph
{
    /// <summary>
    /// A raw <c>FusedBatchNormGrad</c>, <c>FusedBatchNormGradV2</c> or <c>FusedBatchNormGradV3</c>
    /// node (all its outputs). <paramref name="inputs"/> are y_backprop, x, scale, reserve_space_1,
    /// reserve_space_2 (and reserve_space_3 for V3).
    /// </summary>
    internal Operation AddFusedBatchNormGrad(string type, Output[] inputs, float epsilon = 0.0001f, string dataFormat = "NHWC",
        bool isTraining = true, string? name = null)
    {
        var attrs = BatchNormCommon.NodeAttrs(inputs[0].DType, type != FusedBatchNormGradSpec.OpType ? inputs[3].DType : null, epsilon, dataFormat, isTraining);
        return AddOp(type, inputs, name, type, attrs);
    }

    /// <summary>
    /// The gradient op of a FusedBatchNorm of <paramref name="version"/> (1, 2 or 3):
    /// FusedBatchNormGrad, FusedBatchNormGradV2 or FusedBatchNormGradV3 (all its outputs).
    /// </summary>
    internal Operation AddFusedBatchNormGrad(int version, Output[] inputs, float epsilon, string dataFormat, bool isTraining) =>
        AddFusedBatchNormGrad(version switch
        {
            1 => FusedBatchNormGradSpec.OpType,
            2 => FusedBatchNormGradV2Spec.OpType,
            _ => FusedBatchNormGradV3Spec.OpType,
        }, inputs, epsilon, dataFormat, isTraining);
}
