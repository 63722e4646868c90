namespace TensorGraph.Autodiff.Grads;

/// <summary>
/// Gradients of the fused batch-norm ops (TF 1.15's nn_grad.py): _BaseFusedBatchNormGrad for the
/// forward ops and _FusedBatchNormGradGrad (the gradient graph of _BatchNormGrad, differentiated)
/// for the gradient ops.
/// </summary>
internal sealed class BatchNormGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("FusedBatchNorm", c => ForwardGrad(c, "FusedBatchNormGrad"));
        r.Add("FusedBatchNormV2", c => ForwardGrad(c, "FusedBatchNormGradV2"));
        r.Add("FusedBatchNormV3", c => ForwardGrad(c, "FusedBatchNormGradV3"));
        r.Add("FusedBatchNormGrad", GradGrad);
        r.Add("FusedBatchNormGradV2", GradGrad);
        r.Add("FusedBatchNormGradV3", GradGrad);
    }

    /// <summary>
    /// TF's _BaseFusedBatchNormGrad. Training: the gradient op reads the forward op's reserve
    /// spaces and all five of its outputs are returned (the last two, empty, go to mean and
    /// variance). Inference: it reads the population mean and variance, in NHWC (NCHW inputs are
    /// transposed around it), and mean and variance get no gradient. Only y's gradient is used.
    /// </summary>
    private static Output?[] ForwardGrad(GradContext c, string gradType)
    {
        var g = c.Graph;
        var op = c.Op;
        var x = c.X;
        var gradY = c.Grad;
        var scale = c.Input(1);
        float epsilon = op.GetAttrFloat("epsilon");
        string dataFormat = op.GetAttrString("data_format");
        bool isTraining = op.GetAttrBool("is_training");
        bool v3 = gradType == "FusedBatchNormGradV3";
        if (isTraining)
        {
            Output[] inputs = v3 ? [gradY, x, scale, op[3], op[4], op[5]] : [gradY, x, scale, op[3], op[4]];
            var t = g.AddFusedBatchNormGrad(gradType, inputs, epsilon, dataFormat, true);
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
        var grad = g.AddFusedBatchNormGrad(gradType, args, epsilon, "NHWC", false);
        var dx = grad[0];
        if (nchw) dx = g.Transpose(dx, [0, 3, 1, 2]);
        return [dx, grad[1], grad[2], null, null];
    }

    /// <summary>
    /// TF's _FusedBatchNormGradGrad: rebuild the gradient as ordinary ops (_BatchNormGrad) and
    /// differentiate that with the incoming gradients of x_backprop, scale_backprop and
    /// offset_backprop; y_backprop, x and scale get gradients, the reserve spaces none.
    /// </summary>
    private static Output?[] GradGrad(GradContext c)
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

    /// <summary>TF's _BatchNormGrad: the three input gradients of batch norm as differentiable ops.</summary>
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
}
