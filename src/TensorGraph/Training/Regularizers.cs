namespace TensorGraph;

/// <summary>
/// TF 1.15's weight regularizers (<c>tf.contrib.layers.l1_regularizer</c>,
/// <c>l2_regularizer</c>, <c>l1_l2_regularizer</c>, <c>tf.no_regularizer</c>) for
/// <see cref="Graph.GetVariable(string, Shape?, DType?, Initializers.Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>
/// and <see cref="Graph.VariableScope(string?, string?, Reuse?, Initializers.Initializer?, Func{Output, Output?}?, DType?, bool)"/>:
/// functions from a weight to its penalty, built under a scope of TF's name
/// (<c>l2_regularizer/scale</c>, <c>l2_regularizer/L2Loss</c> and the product named
/// <c>l2_regularizer</c>).
/// </summary>
public static class Regularizers
{
    /// <summary>TF's <c>l2_regularizer(scale)</c>: scale · sum(w²) / 2 (<c>L2Loss</c>). A scale of 0 disables it (returns null); a negative one raises.</summary>
    public static Func<Output, Output?> L2(double scale, string? scope = null)
    {
        CheckScale(scale);
        if (scale == 0) return _ => null;
        return w =>
        {
            var g = w.Graph;
            using (g.NameScope(scope ?? "l2_regularizer"))
            {
                var name = g.CurrentNameScope + "/";
                var s = g.Constant(Graph.ScalarOf(w.DType, scale), name: "scale");
                return g.Multiply(s, g.L2Loss(w), name);
            }
        };
    }

    /// <summary>TF's <c>l1_regularizer(scale)</c>: scale · sum(|w|). A scale of 0 disables it (returns null); a negative one raises.</summary>
    public static Func<Output, Output?> L1(double scale, string? scope = null)
    {
        CheckScale(scale);
        if (scale == 0) return _ => null;
        return w =>
        {
            var g = w.Graph;
            using (g.NameScope(scope ?? "l1_regularizer"))
            {
                var name = g.CurrentNameScope + "/";
                var s = g.Constant(Graph.ScalarOf(w.DType, scale), name: "scale");
                return g.Multiply(s, g.ReduceSum(g.Abs(w)), name);
            }
        };
    }

    /// <summary>TF's <c>l1_l2_regularizer(scale_l1, scale_l2)</c>: the sum of both penalties (<c>l1_l2_regularizer</c>, an <c>AddN</c>); null when both scales are 0.</summary>
    public static Func<Output, Output?> L1L2(double scaleL1 = 1.0, double scaleL2 = 1.0, string? scope = null)
    {
        CheckScale(scaleL1);
        CheckScale(scaleL2);
        if (scaleL1 == 0 && scaleL2 == 0) return _ => null;
        if (scaleL1 == 0) return L2(scaleL2, scope);
        if (scaleL2 == 0) return L1(scaleL1, scope);
        var l1 = L1(scaleL1);
        var l2 = L2(scaleL2);
        return w =>
        {
            var g = w.Graph;
            using (g.NameScope(scope ?? "l1_l2_regularizer"))
            {
                var name = g.CurrentNameScope + "/";
                return g.AddN([l1(w)!.Value, l2(w)!.Value], name);
            }
        };
    }

    /// <summary>TF's <c>tf.no_regularizer</c>: no penalty (use it to turn off a scope's regularizer for one variable).</summary>
    public static Output? None(Output weights) => null;

    private static void CheckScale(double scale)
    {
        if (scale < 0) throw new InvalidArgumentException($"Setting a scale less than 0 on a regularizer: {scale:G}.");
    }
}
