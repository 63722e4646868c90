namespace TensorGraph.Keras.Optimizers;

/// <summary>
/// Keras's <c>SGD(learning_rate=0.01, momentum=0.0, nesterov=False)</c>: w ← w − lr·g; with
/// momentum m ← μ·m − lr·g, w ← w + m (nesterov: w ← w + μ·m − lr·g), slot <c>momentum</c>.
/// </summary>
public sealed class SGD(double learningRate = 0.01, double momentum = 0.0, bool nesterov = false, double decay = 0.0, string name = "SGD")
    : Optimizer(name, learningRate, decay)
{
    /// <summary>Momentum μ.</summary>
    public double Momentum { get; } = momentum >= 0 ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be non-negative");

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; } = nesterov;

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, string scope, Variable var)
    {
        if (Momentum > 0) AddSlot(g, scope, var, "momentum", 0);
    }

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var, Output lr, Output iterations)
    {
        ArgumentNullException.ThrowIfNull(g);
        var step = g.Multiply(lr, grad);
        if (Momentum == 0) return g.AssignSub(var, step);
        var m = GetSlot(var, "momentum");
        var mNew = g.Assign(m, g.Subtract(g.Multiply(F(g, Momentum), m.Value), step));
        var delta = Nesterov ? g.Subtract(g.Multiply(F(g, Momentum), mNew), step) : mNew;
        return g.AssignAdd(var, delta);
    }
}

/// <summary>
/// Keras's <c>RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)</c>,
/// slot <c>rms</c> starting at 0: rms ← ρ·rms + (1−ρ)·g²; w ← w − lr·g/(√rms + ε) (epsilon outside
/// the square root). With momentum &gt; 0 Keras uses TF's fused update, epsilon inside:
/// mom ← μ·mom + lr·g/√(rms + ε), w ← w − mom. Centered subtracts mg² (mg ← ρ·mg + (1−ρ)·g).
/// </summary>
public sealed class RMSprop(double learningRate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7, bool centered = false,
    double decay = 0.0, string name = "RMSprop") : Optimizer(name, learningRate, decay)
{
    /// <summary>Discount ρ.</summary>
    public double Rho { get; } = rho;

    /// <summary>Momentum μ.</summary>
    public double Momentum { get; } = momentum;

    /// <summary>Epsilon ε.</summary>
    public double Epsilon { get; } = epsilon;

    /// <summary>Whether the gradient's variance is used instead of its second moment.</summary>
    public bool Centered { get; } = centered;

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, string scope, Variable var)
    {
        AddSlot(g, scope, var, "rms", 0);
        if (Momentum > 0) AddSlot(g, scope, var, "momentum", 0);
        if (Centered) AddSlot(g, scope, var, "mg", 0);
    }

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var, Output lr, Output iterations)
    {
        ArgumentNullException.ThrowIfNull(g);
        var rms = GetSlot(var, "rms");
        var rmsNew = g.Assign(rms, g.AddV2(g.Multiply(F(g, Rho), rms.Value), g.Multiply(F(g, 1 - Rho), g.Square(grad))));
        Output denomSq = rmsNew;
        if (Centered)
        {
            var mg = GetSlot(var, "mg");
            var mgNew = g.Assign(mg, g.AddV2(g.Multiply(F(g, Rho), mg.Value), g.Multiply(F(g, 1 - Rho), grad)));
            denomSq = g.Subtract(rmsNew, g.Square(mgNew));
        }
        if (Momentum > 0)
        {
            var mom = GetSlot(var, "momentum");
            var momNew = g.Assign(mom, g.AddV2(g.Multiply(F(g, Momentum), mom.Value), g.RealDiv(g.Multiply(lr, grad), g.Sqrt(g.AddV2(denomSq, F(g, Epsilon))))));
            return g.AssignSub(var, momNew);
        }
        return g.AssignSub(var, g.RealDiv(g.Multiply(lr, grad), g.AddV2(g.Sqrt(denomSq), F(g, Epsilon))));
    }
}

/// <summary>
/// Keras's <c>Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)</c>: t = iterations + 1,
/// lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ), m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², w ← w − lr_t·m/(√v + ε);
/// slots <c>m</c>, <c>v</c>.
/// </summary>
public sealed class Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, double decay = 0.0, string name = "Adam")
    : Optimizer(name, learningRate, decay)
{
    /// <summary>β1.</summary>
    public double Beta1 { get; } = beta1;

    /// <summary>β2.</summary>
    public double Beta2 { get; } = beta2;

    /// <summary>ε.</summary>
    public double Epsilon { get; } = epsilon;

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, string scope, Variable var)
    {
        AddSlot(g, scope, var, "m", 0);
        AddSlot(g, scope, var, "v", 0);
    }

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var, Output lr, Output iterations)
    {
        ArgumentNullException.ThrowIfNull(g);
        var t = g.Cast(g.AddV2(iterations, g.Constant(Tensor.Scalar(1L))), DType.Float32);
        var b1t = g.Pow(F(g, Beta1), t);
        var b2t = g.Pow(F(g, Beta2), t);
        var lrT = g.Multiply(lr, g.RealDiv(g.Sqrt(g.Subtract(F(g, 1), b2t)), g.Subtract(F(g, 1), b1t)));
        var m = GetSlot(var, "m");
        var v = GetSlot(var, "v");
        var mNew = g.Assign(m, g.AddV2(g.Multiply(F(g, Beta1), m.Value), g.Multiply(F(g, 1 - Beta1), grad)));
        var vNew = g.Assign(v, g.AddV2(g.Multiply(F(g, Beta2), v.Value), g.Multiply(F(g, 1 - Beta2), g.Square(grad))));
        return g.AssignSub(var, g.RealDiv(g.Multiply(lrT, mNew), g.AddV2(g.Sqrt(vNew), F(g, Epsilon))));
    }
}

/// <summary>
/// Keras's <c>Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)</c>:
/// acc ← acc + g²; w ← w − lr·g/(√acc + ε); slot <c>accumulator</c>.
/// </summary>
public sealed class Adagrad(double learningRate = 0.001, double initialAccumulatorValue = 0.1, double epsilon = 1e-7, double decay = 0.0, string name = "Adagrad")
    : Optimizer(name, learningRate, decay)
{
    /// <summary>Start value of the accumulator.</summary>
    public double InitialAccumulatorValue { get; } = initialAccumulatorValue;

    /// <summary>ε.</summary>
    public double Epsilon { get; } = epsilon;

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, string scope, Variable var) => AddSlot(g, scope, var, "accumulator", InitialAccumulatorValue);

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var, Output lr, Output iterations)
    {
        ArgumentNullException.ThrowIfNull(g);
        var acc = GetSlot(var, "accumulator");
        var accNew = g.AssignAdd(acc, g.Square(grad));
        return g.AssignSub(var, g.RealDiv(g.Multiply(lr, grad), g.AddV2(g.Sqrt(accNew), F(g, Epsilon))));
    }
}
