namespace TensorGraph.Training;

/// <summary>Learning-rate schedules and gradient clipping (TF's tf.train helpers).</summary>
public static class LearningRates
{
    /// <summary>
    /// TF's <c>tf.train.exponential_decay</c>: lr · rate^(step / decaySteps), with the exponent
    /// floored when <paramref name="staircase"/>.
    /// </summary>
    public static Output ExponentialDecay(Graph g, double learningRate, Output globalStep, double decaySteps, double decayRate,
        bool staircase = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(g);
        using var scope = g.NameScope(name ?? "ExponentialDecay");
        var exact = g.CurrentNameScope + "/";
        var lr = g.Constant((float)learningRate, name: "learning_rate");
        var dt = lr.DType;
        var steps = g.Cast(g.Constant(Graph.ScalarOf(dt, decaySteps)), dt);
        var rate = g.Cast(g.Constant(Graph.ScalarOf(dt, decayRate)), dt);
        var step = g.Cast(globalStep, dt);
        Output p = g.Divide(step, steps);
        if (staircase) p = g.Floor(p);
        return g.Multiply(lr, g.Pow(rate, p), exact);
    }

    /// <summary>
    /// TF's <c>tf.clip_by_global_norm</c>: scales every tensor by clipNorm / max(globalNorm, clipNorm).
    /// Returns the clipped tensors (null entries stay null) and the global norm.
    /// </summary>
    public static (Output?[] Clipped, Output GlobalNorm) ClipByGlobalNorm(Graph g, Output?[] tensors, double clipNorm, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(tensors);
        var present = tensors.Where(t => t is not null).Select(t => t!.Value).ToArray();
        if (present.Length == 0) throw new InvalidArgumentException("ClipByGlobalNorm needs at least one tensor");
        using var scope = g.NameScope(name ?? "clip_by_global_norm");
        var dt = present[0].DType;
        Output norm;
        using (g.NameScope("global_norm"))
        {
            var half = present.Length == 1 ? g.L2Loss(present[0]) : g.AddN(present.Select(t => g.L2Loss(t)).ToArray());
            norm = g.Sqrt(g.Multiply(half, g.Constant(Graph.ScalarOf(dt, 2))), "global_norm");
        }
        var clip = g.Constant(Graph.ScalarOf(dt, clipNorm), name: "clip_norm");
        var scale = g.Multiply(clip, g.Minimum(g.RealDiv(g.Constant(Graph.ScalarOf(dt, 1)), norm), g.RealDiv(g.Constant(Graph.ScalarOf(dt, 1)), clip)));
        var result = new Output?[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i] is { } t) result[i] = g.Identity(g.Multiply(t, scale), $"_{i}");
        return (result, norm);
    }

    /// <summary>TF's <c>tf.train.create_global_step</c> (the same as <see cref="Graph.CreateGlobalStep"/>).</summary>
    public static Variable CreateGlobalStep(Graph g)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.CreateGlobalStep();
    }
}
