using TensorGraph.Proto;

namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of pooling ops (TF's nn_grad.py).</summary>
internal sealed class ConvGrads : IGradientSource
{
    private static readonly string[] PoolAttrNames = ["ksize", "strides", "padding", "data_format"];

    public void Register(GradientRegistry r)
    {
        // _MaxPoolGrad: MaxPoolGrad(x, y, grad).
        r.Add("MaxPool", c => [PoolLike(c, "MaxPoolGrad", [c.X, c.Out(), c.Grad], c.X.DType)]);

        // _MaxPoolGradGrad: zeros for orig_input and orig_output, MaxPoolGradGrad for grad.
        r.Add("MaxPoolGrad", c =>
        [
            Zeros(c, c.Input(0)),
            Zeros(c, c.Input(1)),
            PoolLike(c, "MaxPoolGradGrad", [c.Input(0), c.Input(1), c.Grad], c.X.DType),
        ]);

        // _MaxPoolGradGradGrad: zeros for orig_input and orig_output, MaxPoolGrad for grad.
        r.Add("MaxPoolGradGrad", c =>
        [
            Zeros(c, c.Input(0)),
            Zeros(c, c.Input(1)),
            PoolLike(c, "MaxPoolGrad", [c.Input(0), c.Input(1), c.Grad], c.X.DType),
        ]);

        // _AvgPoolGrad: AvgPoolGrad(Shape(x), grad).
        r.Add("AvgPool", c => [PoolLike(c, "AvgPoolGrad", [c.Graph.ShapeOf(c.X), c.Grad], c.X.DType)]);

        // _AvgPoolGradGrad: the gradient with respect to grad is AvgPool(grad); the shape input gets none.
        r.Add("AvgPoolGrad", c => [null, PoolLike(c, "AvgPool", [c.Grad], c.Grad.DType)]);


    }

    /// <summary>TF's <c>array_ops.zeros(shape=array_ops.shape(x), dtype=x.dtype)</c>.</summary>
    private static Output Zeros(GradContext c, Output x) => c.Graph.Zeros(c.Graph.ShapeOf(x), x.DType);

    private static Output PoolLike(GradContext c, string type, Output[] inputs, DType t)
    {
        var attrs = new List<KeyValuePair<string, AttrValue>> { new("T", Attr.Type(t)) };
        foreach (var n in PoolAttrNames) attrs.Add(new(n, c.Op.GetAttr(n).Clone()));
        return c.Graph.AddOp(type, inputs, null, type, attrs)[0];
    }
}
