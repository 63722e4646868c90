namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF1's <c>tf.nn.dropout(x, keep_prob, noise_shape, seed, name, rate)</c>: the second
    /// positional argument is <b>keep_prob</b>, as in TF 1.x (<c>Dropout(x, 0.75)</c> keeps 75% of
    /// the units); or name <paramref name="rate"/> instead (TF 2's meaning: the fraction dropped).
    /// Giving both, or neither, is an error, as in TF. Kept elements are scaled by 1/keep_prob
    /// (TF 1.15's composite: <c>x * (1 / (1 - rate)) * cast(random_uniform(noise_shape) &gt;= rate)</c>);
    /// a rate of exactly 0 returns <paramref name="x"/> itself. <paramref name="noiseShape"/> (a 1-D
    /// int32 tensor that broadcasts against x's shape) defaults to x's run-time shape.
    /// </summary>
    /// <exception cref="InvalidArgumentException">Both or neither of keep_prob and rate, a rate outside [0, 1), or a non-float <paramref name="x"/>.</exception>
    public Output Dropout(Output x, double? keepProb = null, Output? noiseShape = null, int? seed = null, string? name = null, double? rate = null)
    {
        var r = DropoutRate(keepProb is null ? null : 1.0 - keepProb.Value, rate);
        if (r < 0 || r >= 1) throw new InvalidArgumentException($"rate must be a scalar tensor or a float in the range [0, 1), got {r}");
        if (r > 0.5)
            System.Diagnostics.Trace.TraceWarning($"Large dropout rate: {r} (>0.5). In TensorFlow 2.x, dropout() uses dropout rate instead of keep_prob. Please ensure that this is intended.");
        if (!x.DType.IsFloating()) throw new InvalidArgumentException($"x has to be a floating point tensor since it's going to be scaled. Got a {x.DType.Name()} tensor instead.");
        if (r == 0) return x;
        using var scope = NameScope(name ?? "dropout");
        return DropoutBody(x, Constant(ScalarOf(x.DType, r), name: "rate"), noiseShape, seed);
    }

    /// <summary>
    /// <see cref="Dropout(Output, double?, Output?, int?, string?, double?)"/> with a tensor
    /// keep_prob or rate (e.g. a <c>PlaceholderWithDefault</c> fed only in training). As in TF, a
    /// tensor keep_prob becomes <c>rate = 1 - keep_prob</c> built before the dropout scope.
    /// </summary>
    public Output Dropout(Output x, Output? keepProb = null, Output? noiseShape = null, int? seed = null, string? name = null, Output? rate = null)
    {
        if (keepProb is not null && rate is not null) throw new InvalidArgumentException("Cannot specify both 'keep_prob' and 'rate'.");
        if (keepProb is null && rate is null) throw new InvalidArgumentException("You must provide a rate to dropout.");
        var r = rate ?? Subtract(Constant(ScalarOf(keepProb!.Value.DType, 1)), keepProb.Value);
        if (!x.DType.IsFloating()) throw new InvalidArgumentException($"x has to be a floating point tensor since it's going to be scaled. Got a {x.DType.Name()} tensor instead.");
        if (!r.Shape.IsCompatibleWith(Shape.Scalar)) throw new InvalidArgumentException($"rate must be a scalar, got shape {r.Shape}");
        using var scope = NameScope(name ?? "dropout");
        return DropoutBody(x, Cast(r, x.DType), noiseShape, seed);
    }

    private static double DropoutRate(double? fromKeepProb, double? rate)
    {
        if (fromKeepProb is not null && rate is not null) throw new InvalidArgumentException("Cannot specify both 'keep_prob' and 'rate'.");
        return fromKeepProb ?? rate ?? throw new InvalidArgumentException("You must provide a rate to dropout.");
    }

    // TF 1.15's dropout_v2 body inside the dropout scope; the result is the scope's exact name.
    private Output DropoutBody(Output x, Output rate, Output? noiseShape, int? seed)
    {
        var exact = CurrentNameScope + "/";
        var shape = noiseShape ?? ShapeOf(x);
        var random = RandomUniform(shape, dtype: x.DType, seed: seed);
        var keepProb = Subtract(Constant(ScalarOf(x.DType, 1)), rate);
        var scale = RealDiv(Constant(ScalarOf(x.DType, 1)), keepProb);
        var keepMask = GreaterEqual(random, rate);
        return Multiply(Multiply(x, scale), Cast(keepMask, x.DType), exact);
    }
}
