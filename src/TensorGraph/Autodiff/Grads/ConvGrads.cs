using TensorGraph.Proto;

namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of convolution and pooling ops (TF's nn_grad.py).</summary>
internal sealed class ConvGrads : IGradientSource
{
    private static readonly string[] PoolAttrNames = ["ksize", "strides", "padding", "data_format"];

    public void Register(GradientRegistry r)
    {
        // _Conv2DGrad: ShapeN([input, filter]) feeds the two backprop ops, which copy every attr.
        r.Add("Conv2D", c =>
        {
            var g = c.Graph;
            var t = c.X.DType;
            var shapes = g.ShapeN([c.X, c.Y]);
            return
            [
                g.ConvLike("Conv2DBackpropInput", [shapes[0], c.Y, c.Grad], c.Op, t),
                g.ConvLike("Conv2DBackpropFilter", [c.X, shapes[1], c.Grad], c.Op, t),
            ];
        });

        // _Conv2DBackpropInputGrad: [None, Conv2DBackpropFilter(grad, Shape(filter), out_backprop), Conv2D(grad, filter)].
        r.Add("Conv2DBackpropInput", c =>
        {
            var g = c.Graph;
            var t = c.Input(1).DType;
            var filter = c.Input(1);
            return
            [
                null,
                g.ConvLike("Conv2DBackpropFilter", [c.Grad, g.ShapeOf(filter), c.Input(2)], c.Op, t),
                g.ConvLike("Conv2D", [c.Grad, filter], c.Op, t),
            ];
        });

        // _Conv2DBackpropFilterGrad: [Conv2DBackpropInput(Shape(input), grad, out_backprop), None, Conv2D(input, grad)].
        r.Add("Conv2DBackpropFilter", c =>
        {
            var g = c.Graph;
            var t = c.X.DType;
            return
            [
                g.ConvLike("Conv2DBackpropInput", [g.ShapeOf(c.X), c.Grad, c.Input(2)], c.Op, t),
                null,
                g.ConvLike("Conv2D", [c.X, c.Grad], c.Op, t),
            ];
        });

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
