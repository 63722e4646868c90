namespace TensorGraph.Training;

/// <summary>TF's <c>tf.train.GradientDescentOptimizer</c>: w ← w − lr·g via ApplyGradientDescent.</summary>
public sealed class GradientDescentOptimizer : Optimizer
{
    /// <summary>Constant learning rate.</summary>
    public GradientDescentOptimizer(double learningRate, bool useLocking = false, string name = "GradientDescent") : base(learningRate, name, useLocking) { }

    /// <summary>Learning rate from a tensor (e.g. <see cref="LearningRates.ExponentialDecay"/>).</summary>
    public GradientDescentOptimizer(Output learningRate, bool useLocking = false, string name = "GradientDescent") : base(learningRate, name, useLocking) { }

    /// <inheritdoc/>
    public override IReadOnlyList<string> SlotNames => [];

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var) =>
        g.ApplyGradientDescent(var.Ref, CastTo(g, LearningRateTensor, var.DType), grad, UseLocking);

    /// <summary>TF 1.15's GradientDescent sparse update: ScatterSub(var, indices, values·lr); repeated indices accumulate.</summary>
    protected override Operation ApplySparseDuplicateIndices(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(var);
        var delta = g.Multiply(grad.Values, CastTo(g, LearningRateTensor, var.DType));
        return g.ScatterSub(var, grad.Indices, delta, UseLocking).Op;
    }
}

/// <summary>TF's <c>tf.train.MomentumOptimizer</c>: a ← μ·a + g; w ← w − lr·a (or Nesterov).</summary>
public sealed class MomentumOptimizer : Optimizer
{
    private readonly double _momentum;
    private readonly bool _nesterov;
    private Output _momentumT;

    /// <summary>Creates the optimizer (TF defaults: use_nesterov = false).</summary>
    public MomentumOptimizer(double learningRate, double momentum, bool useLocking = false, string name = "Momentum", bool useNesterov = false)
        : base(learningRate, name, useLocking)
    {
        _momentum = momentum;
        _nesterov = useNesterov;
    }

    /// <summary>Learning rate from a tensor.</summary>
    public MomentumOptimizer(Output learningRate, double momentum, bool useLocking = false, string name = "Momentum", bool useNesterov = false)
        : base(learningRate, name, useLocking)
    {
        _momentum = momentum;
        _nesterov = useNesterov;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> SlotNames => ["momentum"];

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, IReadOnlyList<Variable> vars)
    {
        foreach (var v in vars) MakeSlot(v, "momentum", 0);
    }

    /// <inheritdoc/>
    protected override void Prepare(Graph g) => _momentumT = Hyper(g, _momentum, LearningRateTensor.DType, "momentum");

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var) =>
        g.ApplyMomentum(var.Ref, GetSlot(var, "momentum").Ref, CastTo(g, LearningRateTensor, var.DType), grad,
            CastTo(g, _momentumT, var.DType), _nesterov, UseLocking);

    /// <summary>TF 1.15's Momentum sparse update: SparseApplyMomentum on the rows of the (deduplicated) gradient.</summary>
    protected override Operation ApplySparse(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(var);
        return g.SparseApplyMomentum(var.Ref, GetSlot(var, "momentum").Ref, CastTo(g, LearningRateTensor, var.DType), grad.Values, grad.Indices,
            CastTo(g, _momentumT, var.DType), _nesterov, UseLocking).Op;
    }
}

/// <summary>
/// TF's <c>tf.train.RMSPropOptimizer</c> (defaults decay 0.9, momentum 0, epsilon 1e-10, the "rms"
/// slot starting at 1): ms ← ms + (g² − ms)(1−ρ); mom ← μ·mom + lr·g/√(ms + ε); w ← w − mom.
/// For Keras' defaults pass <c>epsilon: 1e-7</c> (see <see cref="KerasDefaults"/>).
/// </summary>
public sealed class RMSPropOptimizer : Optimizer
{
    private readonly double _decay, _momentum, _epsilon, _initialMeanSquare;
    private readonly bool _centered;
    private bool _epsilonOutsideRoot;
    private Output _decayT, _momentumT, _epsilonT;

    /// <summary>Creates the optimizer with TF1's defaults.</summary>
    /// <param name="learningRate">Step size.</param>
    /// <param name="decay">Discount factor ρ of the mean square.</param>
    /// <param name="momentum">Momentum μ.</param>
    /// <param name="epsilon">Added to the mean square inside the square root.</param>
    /// <param name="useLocking">Take the variable lock during updates.</param>
    /// <param name="centered">Normalize by the variance estimate instead of the mean square.</param>
    /// <param name="name">Scope and slot name.</param>
    /// <param name="initialMeanSquare">Start value of the "rms" slot: 1 in TF1, 0 in Keras.</param>
    public RMSPropOptimizer(double learningRate, double decay = 0.9, double momentum = 0.0, double epsilon = 1e-10,
        bool useLocking = false, bool centered = false, string name = "RMSProp", double initialMeanSquare = 1.0)
        : base(learningRate, name, useLocking)
    {
        _initialMeanSquare = initialMeanSquare;
        _decay = decay;
        _momentum = momentum;
        _epsilon = epsilon;
        _centered = centered;
    }

    /// <summary>Learning rate from a tensor (e.g. a decay schedule of the global step); the other settings as the constant-rate constructor.</summary>
    public RMSPropOptimizer(Output learningRate, double decay = 0.9, double momentum = 0.0, double epsilon = 1e-10,
        bool useLocking = false, bool centered = false, string name = "RMSProp", double initialMeanSquare = 1.0)
        : base(learningRate, name, useLocking)
    {
        _initialMeanSquare = initialMeanSquare;
        _decay = decay;
        _momentum = momentum;
        _epsilon = epsilon;
        _centered = centered;
    }

    /// <summary>
    /// Keras' RMSprop (learning rate 1e-3, rho 0.9, epsilon 1e-7, mean square starting at 0, no
    /// momentum) with Keras's update: rms ← ρ·rms + (1−ρ)·g²; w ← w − lr·g/(√rms + ε), epsilon
    /// outside the square root (plain graph ops, as tf.keras does for momentum 0).
    /// </summary>
    public static RMSPropOptimizer KerasDefaults(double learningRate = 1e-3, double rho = 0.9, double epsilon = 1e-7) =>
        new(learningRate, rho, 0.0, epsilon, initialMeanSquare: 0.0) { _epsilonOutsideRoot = true };

    /// <inheritdoc/>
    public override IReadOnlyList<string> SlotNames => _epsilonOutsideRoot ? ["rms"] : _centered ? ["rms", "mg", "momentum"] : ["rms", "momentum"];

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, IReadOnlyList<Variable> vars)
    {
        foreach (var v in vars)
        {
            MakeSlot(v, "rms", _initialMeanSquare);
            if (_epsilonOutsideRoot) continue;
            if (_centered) MakeSlot(v, "mg", 0);
            MakeSlot(v, "momentum", 0);
        }
    }

    /// <inheritdoc/>
    protected override void Prepare(Graph g)
    {
        var dt = LearningRateTensor.DType;
        _decayT = Hyper(g, _decay, dt, "decay");
        _momentumT = Hyper(g, _momentum, dt, "momentum");
        _epsilonT = Hyper(g, _epsilon, dt, "epsilon");
    }

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var)
    {
        var dt = var.DType;
        var lr = CastTo(g, LearningRateTensor, dt);
        var rho = CastTo(g, _decayT, dt);
        var mu = CastTo(g, _momentumT, dt);
        var eps = CastTo(g, _epsilonT, dt);
        if (_epsilonOutsideRoot)
        {
            var rms = GetSlot(var, "rms");
            var one = CastTo(g, g.Constant(Tensor.Scalar(1f)), dt);
            var ms = g.Assign(rms.Ref, g.AddV2(g.Multiply(rho, rms.Value), g.Multiply(g.Subtract(one, rho), g.Square(grad))), useLocking: UseLocking);
            return g.AssignSub(var, g.RealDiv(g.Multiply(lr, grad), g.AddV2(g.Sqrt(ms), eps)), UseLocking);
        }
        return _centered
            ? g.ApplyCenteredRMSProp(var.Ref, GetSlot(var, "mg").Ref, GetSlot(var, "rms").Ref, GetSlot(var, "momentum").Ref, lr, rho, mu, eps, grad, UseLocking)
            : g.ApplyRMSProp(var.Ref, GetSlot(var, "rms").Ref, GetSlot(var, "momentum").Ref, lr, rho, mu, eps, grad, UseLocking);
    }

    /// <summary>
    /// TF 1.15's RMSProp sparse update: SparseApplyRMSProp / SparseApplyCenteredRMSProp on the rows of
    /// the (deduplicated) gradient. Keras's form (epsilon outside the root) updates densely.
    /// </summary>
    protected override Operation ApplySparse(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(var);
        if (_epsilonOutsideRoot) return base.ApplySparse(g, grad, var);
        var dt = var.DType;
        var lr = CastTo(g, LearningRateTensor, dt);
        var rho = CastTo(g, _decayT, dt);
        var mu = CastTo(g, _momentumT, dt);
        var eps = CastTo(g, _epsilonT, dt);
        return (_centered
            ? g.SparseApplyCenteredRMSProp(var.Ref, GetSlot(var, "mg").Ref, GetSlot(var, "rms").Ref, GetSlot(var, "momentum").Ref, lr, rho, mu, eps, grad.Values, grad.Indices, UseLocking)
            : g.SparseApplyRMSProp(var.Ref, GetSlot(var, "rms").Ref, GetSlot(var, "momentum").Ref, lr, rho, mu, eps, grad.Values, grad.Indices, UseLocking)).Op;
    }
}

/// <summary>
/// TF's <c>tf.train.AdamOptimizer</c> (defaults lr 1e-3, β1 0.9, β2 0.999, ε 1e-8): slots "m" and
/// "v" (<c>w/Adam</c>, <c>w/Adam_1</c>), non-slot variables <c>beta1_power</c> and <c>beta2_power</c>
/// multiplied by β after each step.
/// </summary>
public sealed class AdamOptimizer : Optimizer
{
    private readonly double _beta1, _beta2, _epsilon;
    private Output _beta1T, _beta2T, _epsilonT;
    private Variable? _beta1Power, _beta2Power;

    /// <summary>Creates the optimizer with TF's defaults.</summary>
    public AdamOptimizer(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool useLocking = false, string name = "Adam")
        : base(learningRate, name, useLocking)
    {
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
    }

    /// <summary>Learning rate from a tensor (e.g. a decay schedule of the global step).</summary>
    public AdamOptimizer(Output learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool useLocking = false, string name = "Adam")
        : base(learningRate, name, useLocking)
    {
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> SlotNames => ["m", "v"];

    /// <summary>The β1^t accumulator (after the first ApplyGradients).</summary>
    public Variable? Beta1Power => _beta1Power;

    /// <summary>The β2^t accumulator.</summary>
    public Variable? Beta2Power => _beta2Power;

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, IReadOnlyList<Variable> vars)
    {
        var first = vars.OrderBy(v => v.Name, StringComparer.Ordinal).First();
        _beta1Power = MakeNonSlot(g, "beta1_power", _beta1, first.DType);
        _beta2Power = MakeNonSlot(g, "beta2_power", _beta2, first.DType);
        foreach (var v in vars)
        {
            MakeSlot(v, "m", 0);
            MakeSlot(v, "v", 0);
        }
    }

    /// <inheritdoc/>
    protected override void Prepare(Graph g)
    {
        var dt = LearningRateTensor.DType;
        _beta1T = Hyper(g, _beta1, dt, "beta1");
        _beta2T = Hyper(g, _beta2, dt, "beta2");
        _epsilonT = Hyper(g, _epsilon, dt, "epsilon");
    }

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var)
    {
        var dt = var.DType;
        return g.ApplyAdam(var.Ref, GetSlot(var, "m").Ref, GetSlot(var, "v").Ref,
            CastTo(g, _beta1Power!.Value, dt), CastTo(g, _beta2Power!.Value, dt), CastTo(g, LearningRateTensor, dt),
            CastTo(g, _beta1T, dt), CastTo(g, _beta2T, dt), CastTo(g, _epsilonT, dt), grad, useLocking: UseLocking);
    }

    /// <summary>
    /// TF 1.15's Adam <c>_apply_sparse_shared</c>: m ← β1·m then ScatterAdd(m, indices, (1−β1)·g);
    /// v ← β2·v then ScatterAdd(v, indices, (1−β2)·g²); var −= lr·√(1−β2^t)/(1−β1^t)·m/(√v + ε).
    /// </summary>
    protected override Operation ApplySparse(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(var);
        var dt = var.DType;
        var beta1Power = CastTo(g, _beta1Power!.Value, dt);
        var beta2Power = CastTo(g, _beta2Power!.Value, dt);
        var lrT = CastTo(g, LearningRateTensor, dt);
        var beta1T = CastTo(g, _beta1T, dt);
        var beta2T = CastTo(g, _beta2T, dt);
        var epsilonT = CastTo(g, _epsilonT, dt);
        var one = Graph.ScalarOf(dt, 1);
        var lr = g.RealDiv(g.Multiply(lrT, g.Sqrt(g.Subtract(g.Constant(one), beta2Power))), g.Subtract(g.Constant(one), beta1Power));
        var m = GetSlot(var, "m");
        var mScaled = g.Multiply(grad.Values, g.Subtract(g.Constant(one), beta1T));
        var mT = g.Assign(m, g.Multiply(m.Value, beta1T), useLocking: UseLocking);
        using (g.ControlDependencies(mT.Op))
        {
            mT = g.ScatterAdd(m, grad.Indices, mScaled, UseLocking);
        }
        var v = GetSlot(var, "v");
        var vScaled = g.Multiply(g.Multiply(grad.Values, grad.Values), g.Subtract(g.Constant(one), beta2T));
        var vT = g.Assign(v, g.Multiply(v.Value, beta2T), useLocking: UseLocking);
        using (g.ControlDependencies(vT.Op))
        {
            vT = g.ScatterAdd(v, grad.Indices, vScaled, UseLocking);
        }
        var vSqrt = g.Sqrt(vT);
        var varUpdate = g.AssignSub(var, g.RealDiv(g.Multiply(lr, mT), g.AddV2(vSqrt, epsilonT)), UseLocking);
        return g.Group([varUpdate.Op, mT.Op, vT.Op]);
    }

    /// <inheritdoc/>
    protected override Operation Finish(Graph g, List<Operation> updateOps, string name)
    {
        Output u1, u2;
        using (g.ControlDependencies([.. updateOps]))
        {
            u1 = g.Assign(_beta1Power!, g.Multiply(_beta1Power!.Value, _beta1T), useLocking: UseLocking);
            u2 = g.Assign(_beta2Power!, g.Multiply(_beta2Power!.Value, _beta2T), useLocking: UseLocking);
        }
        return g.Group([.. updateOps, u1.Op, u2.Op], name);
    }
}

/// <summary>TF's <c>tf.train.AdagradOptimizer</c>: acc ← acc + g²; w ← w − lr·g/√acc (acc starts at 0.1).</summary>
public sealed class AdagradOptimizer : Optimizer
{
    private readonly double _initial;

    /// <summary>Creates the optimizer; <paramref name="initialAccumulatorValue"/> must be positive.</summary>
    public AdagradOptimizer(double learningRate, double initialAccumulatorValue = 0.1, bool useLocking = false, string name = "Adagrad")
        : base(learningRate, name, useLocking)
    {
        if (initialAccumulatorValue <= 0) throw new InvalidArgumentException($"initial_accumulator_value must be positive: {initialAccumulatorValue}");
        _initial = initialAccumulatorValue;
    }

    /// <summary>Learning rate from a tensor (e.g. a decay schedule of the global step).</summary>
    public AdagradOptimizer(Output learningRate, double initialAccumulatorValue = 0.1, bool useLocking = false, string name = "Adagrad")
        : base(learningRate, name, useLocking)
    {
        if (initialAccumulatorValue <= 0) throw new InvalidArgumentException($"initial_accumulator_value must be positive: {initialAccumulatorValue}");
        _initial = initialAccumulatorValue;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> SlotNames => ["accumulator"];

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, IReadOnlyList<Variable> vars)
    {
        foreach (var v in vars) MakeSlot(v, "accumulator", _initial);
    }

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var) =>
        g.ApplyAdagrad(var.Ref, GetSlot(var, "accumulator").Ref, CastTo(g, LearningRateTensor, var.DType), grad, useLocking: UseLocking);

    /// <summary>TF 1.15's Adagrad sparse update: SparseApplyAdagrad on the rows of the (deduplicated) gradient.</summary>
    protected override Operation ApplySparse(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(var);
        return g.SparseApplyAdagrad(var.Ref, GetSlot(var, "accumulator").Ref, CastTo(g, LearningRateTensor, var.DType), grad.Values, grad.Indices, useLocking: UseLocking).Op;
    }
}

/// <summary>
/// TF's <c>tf.train.FtrlOptimizer</c> (FTRL-proximal, McMahan et al. 2013): slots "accum" (starting
/// at <c>initial_accumulator_value</c>, 0.1) and "linear" (zeros), named <c>&lt;var&gt;/Ftrl</c> and
/// <c>&lt;var&gt;/Ftrl_1</c> unless <c>accumName</c>/<c>linearName</c> are given. Updates with
/// ApplyFtrl (SparseApplyFtrl for sparse gradients), or the V2 ops when
/// <c>l2_shrinkage_regularization_strength</c> is positive.
/// </summary>
public sealed class FtrlOptimizer : Optimizer
{
    private readonly double _lrPower, _initial, _l1, _l2, _l2Shrinkage;
    private readonly string? _accumName, _linearName;
    private Output _lrPowerT, _l1T, _l2T, _l2ShrinkageT;

    /// <summary>Creates the optimizer with TF's defaults; the arguments are checked as TF checks them.</summary>
    public FtrlOptimizer(double learningRate, double learningRatePower = -0.5, double initialAccumulatorValue = 0.1,
        double l1RegularizationStrength = 0.0, double l2RegularizationStrength = 0.0, bool useLocking = false, string name = "Ftrl",
        string? accumName = null, string? linearName = null, double l2ShrinkageRegularizationStrength = 0.0)
        : base(learningRate, name, useLocking)
    {
        if (initialAccumulatorValue < 0) throw new InvalidArgumentException($"initial_accumulator_value {initialAccumulatorValue} needs to be positive or zero");
        if (learningRatePower > 0) throw new InvalidArgumentException($"learning_rate_power {learningRatePower} needs to be negative or zero");
        if (l1RegularizationStrength < 0) throw new InvalidArgumentException($"l1_regularization_strength {l1RegularizationStrength} needs to be positive or zero");
        if (l2RegularizationStrength < 0) throw new InvalidArgumentException($"l2_regularization_strength {l2RegularizationStrength} needs to be positive or zero");
        if (l2ShrinkageRegularizationStrength < 0)
            throw new InvalidArgumentException($"l2_shrinkage_regularization_strength {l2ShrinkageRegularizationStrength} needs to be positive or zero");
        _lrPower = learningRatePower;
        _initial = initialAccumulatorValue;
        _l1 = l1RegularizationStrength;
        _l2 = l2RegularizationStrength;
        _l2Shrinkage = l2ShrinkageRegularizationStrength;
        _accumName = accumName;
        _linearName = linearName;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> SlotNames => ["accum", "linear"];

    /// <inheritdoc/>
    protected override void CreateSlots(Graph g, IReadOnlyList<Variable> vars)
    {
        foreach (var v in vars)
        {
            MakeSlot(v, "accum", _initial, _accumName);
            MakeSlot(v, "linear", 0, _linearName);
        }
    }

    /// <inheritdoc/>
    protected override void Prepare(Graph g)
    {
        var dt = LearningRateTensor.DType;
        _l1T = Hyper(g, _l1, dt, "l1_regularization_strength");
        _l2T = Hyper(g, _l2, dt, "l2_regularization_strength");
        _l2ShrinkageT = Hyper(g, _l2Shrinkage, dt, "l2_shrinkage_regularization_strength");
        _lrPowerT = Hyper(g, _lrPower, dt, "learning_rate_power");
    }

    /// <inheritdoc/>
    protected override Output ApplyDense(Graph g, Output grad, Variable var)
    {
        var dt = var.DType;
        return _l2Shrinkage <= 0
            ? g.ApplyFtrl(var.Ref, GetSlot(var, "accum").Ref, GetSlot(var, "linear").Ref, grad, CastTo(g, LearningRateTensor, dt),
                CastTo(g, _l1T, dt), CastTo(g, _l2T, dt), CastTo(g, _lrPowerT, dt), UseLocking)
            : g.ApplyFtrlV2(var.Ref, GetSlot(var, "accum").Ref, GetSlot(var, "linear").Ref, grad, CastTo(g, LearningRateTensor, dt),
                CastTo(g, _l1T, dt), CastTo(g, _l2T, dt), CastTo(g, _l2ShrinkageT, dt), CastTo(g, _lrPowerT, dt), UseLocking);
    }

    /// <summary>TF 1.15's Ftrl sparse update: SparseApplyFtrl(V2) on the rows of the (deduplicated) gradient.</summary>
    protected override Operation ApplySparse(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(var);
        var dt = var.DType;
        return (_l2Shrinkage <= 0
            ? g.SparseApplyFtrl(var.Ref, GetSlot(var, "accum").Ref, GetSlot(var, "linear").Ref, grad.Values, grad.Indices, CastTo(g, LearningRateTensor, dt),
                CastTo(g, _l1T, dt), CastTo(g, _l2T, dt), CastTo(g, _lrPowerT, dt), UseLocking)
            : g.SparseApplyFtrlV2(var.Ref, GetSlot(var, "accum").Ref, GetSlot(var, "linear").Ref, grad.Values, grad.Indices, CastTo(g, LearningRateTensor, dt),
                CastTo(g, _l1T, dt), CastTo(g, _l2T, dt), CastTo(g, _l2ShrinkageT, dt), CastTo(g, _lrPowerT, dt), UseLocking)).Op;
    }
}
