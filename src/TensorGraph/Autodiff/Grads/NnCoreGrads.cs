namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradient of MatMul (TF's math_grad.py _MatMulGrad).</summary>
internal sealed class MatMulGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("MatMul", c =>
        {
            var g = c.Graph;
            bool ta = c.Op.GetAttrBool("transpose_a"), tb = c.Op.GetAttrBool("transpose_b");
            var a = c.X;
            var b = c.Y;
            var grad = c.Grad;
            return (ta, tb) switch
            {
                (false, false) => [g.MatMul(grad, b, transposeB: true), g.MatMul(a, grad, transposeA: true)],
                (false, true) => [g.MatMul(grad, b), g.MatMul(grad, a, transposeA: true)],
                (true, false) => [g.MatMul(b, grad, transposeB: true), g.MatMul(a, grad)],
                _ => [g.MatMul(b, grad, transposeA: true, transposeB: true), g.MatMul(grad, a, transposeA: true, transposeB: true)],
            };
        });
    }
}

/// <summary>Gradients of the dense NN ops (TF's nn_grad.py).</summary>
internal sealed class NnDenseGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("BiasAdd", c => [c.Grad, c.Graph.BiasAddGrad(c.Grad)]);
        r.Add("Softmax", c =>
        {
            var g = c.Graph;
            var softmax = c.Out();
            var sumChannels = g.ReduceSum(g.Multiply(c.Grad, softmax), [-1], keepDims: true);
            return [g.Multiply(g.Subtract(c.Grad, sumChannels), softmax)];
        });
        r.Add("LogSoftmax", c =>
        {
            var g = c.Graph;
            var softmax = g.Exp(c.Out());
            return [g.Subtract(c.Grad, g.Multiply(g.ReduceSum(c.Grad, [-1], keepDims: true), softmax))];
        });
        r.Add("SoftmaxCrossEntropyWithLogits", c =>
        {
            var g = c.Graph;
            var gradLoss = c.Grads[0]!.Value;
            var gradGrad = c.Grads[1];
            var logits = c.X;
            var grad = BroadcastMul(g, gradLoss, c.Out(1));
            if (gradGrad is { } gg && !IsZerosFor(gg, c.Op, 1))
            {
                var softmax = g.Softmax(logits);
                // (grad_grad - sum(grad_grad * softmax, -1, keepdims)) * softmax
                var dot = g.ReduceSum(g.Multiply(gg, softmax), [-1], keepDims: true);
                grad = g.AddV2(grad, g.Multiply(g.Subtract(gg, dot), softmax));
            }
            return [grad, BroadcastMul(g, gradLoss, g.Negative(g.LogSoftmax(logits)))];
        });
        r.Add("SparseSoftmaxCrossEntropyWithLogits", c => [BroadcastMul(c.Graph, c.Grads[0]!.Value, c.Out(1)), null]);
        r.Add("CheckNumerics", c =>
            [c.Graph.CheckNumerics(c.Grad, "Not a number (NaN) or infinity (Inf) values detected in gradient. " + c.Op.GetAttrString("message"))]);
        r.Add("BatchMatMulV2", BatchMatMulGrad);
        r.Add("BatchMatMul", BatchMatMulGrad);
        r.NotDifferentiable("InTopK", "InTopKV2");
    }

    /// <summary>TF's _BroadcastMul: vec[..., None] * mat.</summary>
    private static Output BroadcastMul(Graph g, Output vec, Output mat) => g.Multiply(g.Reshape(vec, [-1, 1]), mat);

    private static bool IsZerosFor(Output t, Operation op, int index) =>
        t.Op.Type == "ZerosLike" && t.Op.Inputs[0].Op == op && t.Op.Inputs[0].Index == index;

    private static Output?[] BatchMatMulGrad(GradContext c)
    {
        var g = c.Graph;
        bool ax = c.Op.GetAttrBool("adj_x"), ay = c.Op.GetAttrBool("adj_y");
        var x = c.X;
        var y = c.Y;
        var grad = c.Grad;
        (Output gx, Output gy) = (ax, ay) switch
        {
            (false, false) => (g.BatchMatMul(grad, y, adjY: true), g.BatchMatMul(x, grad, adjX: true)),
            (false, true) => (g.BatchMatMul(grad, y), g.BatchMatMul(grad, x, adjX: true)),
            (true, false) => (g.BatchMatMul(y, grad, adjY: true), g.BatchMatMul(x, grad)),
            _ => (g.BatchMatMul(y, grad, adjX: true, adjY: true), g.BatchMatMul(grad, x, adjX: true, adjY: true)),
        };
        var sx = x.Shape;
        var sy = y.Shape;
        if (!(sx.IsFullyDefined && sy.IsFullyDefined && sx.Rank == sy.Rank && sx.Dims[..^2].SequenceEqual(sy.Dims[..^2])))
        {
            // Sum over broadcast batch dims: reduce the extra leading axes and the size-1 axes.
            if (!sx.IsFullyDefined || !sy.IsFullyDefined)
                throw new UnimplementedException("The gradient of a broadcasting BatchMatMulV2 needs fully defined input shapes");
            gx = ReduceToShape(g, gx, sx);
            gy = ReduceToShape(g, gy, sy);
        }
        return [gx, gy];
    }

    private static Output ReduceToShape(Graph g, Output t, Shape target)
    {
        var ts = t.Shape;
        int lead = ts.Rank - target.Rank;
        var axes = new List<int>();
        for (int i = 0; i < ts.Rank - 2; i++)
            if (i < lead || target[i - lead] == 1 && ts[i] != 1) axes.Add(i);
        return axes.Count == 0 ? t : g.Reshape(g.ReduceSum(t, [.. axes]), target.ToArray());
    }
}

/// <summary>Gradients of BiasAddGrad and DynamicStitch; training and Range ops are not differentiable.</summary>
internal sealed class MiscGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        // TF's _BiasAddGradGrad: tile the bias gradient back over the leading dims.
        r.Add("BiasAddGrad", c =>
        {
            var g = c.Graph;
            var shape = g.ShapeOf(c.X);
            var biasShape = g.ShapeOf(c.Grad);
            var leading = shape[..^1];
            var expandedShape = g.Concat([g.OnesLike(leading), biasShape], 0);
            var tileMults = g.Concat([leading, g.Constant(new[] { 1 })], 0);
            return [g.Tile(g.Reshape(c.Grad, expandedShape), tileMults)];
        });
        // TF's _DynamicStitchGrads: indices get none, each data input gathers its rows.
        r.Add("DynamicStitch", c =>
        {
            var g = c.Graph;
            int n = c.Op.NumInputs / 2;
            var result = new Output?[2 * n];
            for (int i = 0; i < n; i++) result[n + i] = g.Gather(c.Grad, c.Input(i));
            return result;
        });
        r.NotDifferentiable("Range", "ApplyGradientDescent", "ApplyMomentum", "ApplyRMSProp", "ApplyCenteredRMSProp", "ApplyAdam", "ApplyAdagrad");
    }
}

/// <summary>Resource-variable ops. Training resource variables (ResourceApply*) is not supported yet.</summary>
internal sealed class ResourceVariableGrads : IGradientSource
{
    public void Register(GradientRegistry r) =>
        r.NotDifferentiable("VarHandleOp", "ReadVariableOp", "AssignVariableOp", "VarIsInitializedOp");
}
