using System.Collections.Frozen;

namespace TensorGraph.Autodiff;

/// <summary>
/// Computes the gradients of an op's inputs from the gradients of its outputs. Returns one entry
/// per data input (null = no gradient). Runs inside the <c>gradients/&lt;op&gt;_grad</c> name scope.
/// </summary>
internal delegate Output?[] GradientFunction(GradContext c);

/// <summary>
/// Gradient functions by op type, plus ops explicitly marked not differentiable, gathered once from
/// every op's <see cref="Ops.OpSpec.Gradient"/> / <see cref="Ops.OpSpec.NotDifferentiable"/>
/// declaration (the gradient lives beside its op, as TF's <c>@ops.RegisterGradient</c> does).
/// </summary>
internal static class GradientRegistry
{
    private static readonly Lazy<FrozenDictionary<string, GradientFunction?>> All = new(Discover);

    private static FrozenDictionary<string, GradientFunction?> Discover()
    {
        var fns = new Dictionary<string, GradientFunction?>(StringComparer.Ordinal);
        foreach (var spec in Ops.OpRegistry.All)
        {
            if (spec.HasGradient)
            {
                if (spec.NotDifferentiable) throw new InternalException($"Op {spec.Type} declares a gradient and is marked not differentiable");
                fns[spec.Type] = spec.Gradient;
            }
            else if (spec.NotDifferentiable) fns[spec.Type] = null;
        }
        return fns.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>True and the function (null = not differentiable) when the op type is registered.</summary>
    public static bool TryGet(string opType, out GradientFunction? fn) => All.Value.TryGetValue(opType, out fn);

    /// <summary>
    /// <see cref="TryGet(string, out GradientFunction?)"/> for node <paramref name="op"/>; a node whose
    /// schema is not registered (a direct call of a library function) uses its own schema's gradient.
    /// </summary>
    public static bool TryGet(Operation op, out GradientFunction? fn)
    {
        if (All.Value.TryGetValue(op.Type, out fn)) return true;
        if (op.Spec.Inert is null && op.Spec.HasGradient)
        {
            fn = op.Spec.Gradient;
            return true;
        }
        fn = null;
        return false;
    }

    /// <summary>Every op type with a registration.</summary>
    public static IEnumerable<string> RegisteredTypes => All.Value.Keys;

    /// <summary>True when the op type has a gradient function (not a not-differentiable mark).</summary>
    public static bool IsDifferentiable(string opType) => All.Value.TryGetValue(opType, out var f) && f is not null;
}

/// <summary>What a gradient function sees: the op, its output gradients, and graph helpers.</summary>
internal sealed class GradContext(Graph graph, Operation op, Output?[] grads, IndexedSlices?[]? sparseGrads = null)
{
    private bool _densified;

    /// <summary>The graph the gradient is built in.</summary>
    public Graph Graph { get; } = graph;

    public Operation Op { get; } = op;

    /// <summary>
    /// Gradient of output <c>i</c> (float outputs without one get zeros before the call). Sparse
    /// output gradients are made dense on first read, as TF's ops.convert_to_tensor makes an
    /// IndexedSlices dense when a gradient function uses it as a tensor.
    /// </summary>
    public Output?[] Grads
    {
        get
        {
            if (!_densified && sparseGrads is not null)
            {
                for (int k = 0; k < grads.Length; k++)
                    if (sparseGrads[k] is { } s && grads[k] is null) grads[k] = s.ToDense();
            }
            _densified = true;
            return grads;
        }
    }

    /// <summary>The sparse gradient of output <paramref name="k"/> when it is IndexedSlices (read before <see cref="Grads"/>).</summary>
    public IndexedSlices? SparseGrad(int k) => _densified ? null : sparseGrads?[k];

    /// <summary>Gradient of output 0.</summary>
    public Output Grad => Grads[0] ?? throw new InternalException($"No gradient for output 0 of {Op.Name}");

    public Output X => Op.Inputs[0];

    public Output Y => Op.Inputs[1];

    public Output Input(int i) => Op.Inputs[i];

    public Output Out(int i = 0) => Op[i];

    private Dictionary<int, IndexedSlices>? _sparse;

    /// <summary>
    /// Gives input <paramref name="input"/> a sparse gradient (TF's gradient functions returning
    /// <c>ops.IndexedSlices</c>); the function returns null for that input.
    /// </summary>
    public void SetSparse(int input, IndexedSlices slices) => (_sparse ??= [])[input] = slices;

    /// <summary>The sparse gradients set by <see cref="SetSparse"/>, by input.</summary>
    public IReadOnlyDictionary<int, IndexedSlices>? SparseResults => _sparse;

    /// <summary>
    /// TF's unbroadcast pattern for binary ops: Shape(x), Shape(y), BroadcastGradientArgs, then
    /// Reshape(Sum(gx, rx), sx) and Reshape(Sum(gy, ry), sy). <paramref name="gx"/>/<paramref name="gy"/>
    /// are built after the shapes (so node names follow TF) by the given factories.
    /// </summary>
    public Output?[] Unbroadcast(Func<Output> gx, Func<Output> gy, bool negateY = false)
    {
        var x = X;
        var y = Y;
        var sx = Graph.ShapeOf(x);
        var sy = Graph.ShapeOf(y);
        var args = Graph.BroadcastGradientArgs(sx, sy);
        var rx = Graph.Reshape(Graph.Reduce(SumSpec.OpType, gx(), args.R0), sx);
        Output sumY = Graph.Reduce(SumSpec.OpType, gy(), args.R1);
        if (negateY) sumY = Graph.Negative(sumY);
        var ry = Graph.Reshape(sumY, sy);
        return [rx, ry];
    }

    /// <summary>True when x, y and the gradient have the same fully known shape (TF's fast path).</summary>
    public bool ShapesFullySpecifiedAndEqual()
    {
        var a = X.Shape;
        return a.IsFullyDefined && a.Equals(Y.Shape) && a.Equals(Grad.Shape);
    }
}
