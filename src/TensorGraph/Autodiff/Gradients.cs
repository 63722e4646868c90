using TensorGraph.Autodiff;

namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.gradients</c>: adds ops computing d(sum of <paramref name="ys"/>)/d<paramref name="xs"/>
    /// under a <c>gradients</c> name scope. <paramref name="gradYs"/> default to ones; fan-out is summed
    /// with AddN; <paramref name="stopGradients"/> and StopGradient ops block propagation; integer
    /// and bool edges carry no gradient. An x not connected to ys gets null.
    /// </summary>
    public Output?[] Gradients(Output[] ys, Output[] xs, Output[]? gradYs = null, Output[]? stopGradients = null,
        bool gateGradients = false, string name = "gradients")
    {
        ArgumentNullException.ThrowIfNull(ys);
        ArgumentNullException.ThrowIfNull(xs);
        if (gradYs is not null && gradYs.Length != ys.Length)
            throw new InvalidArgumentException($"Passed {gradYs.Length} grad_ys for {ys.Length} ys");
        foreach (var t in ys.Concat(xs).Concat(gradYs ?? []).Concat(stopGradients ?? []))
        {
            if (t.Op is null) throw new InvalidArgumentException("Gradients got a default (unset) Output");
            if (!ReferenceEquals(t.Graph, this)) throw new InvalidArgumentException($"Tensor '{t.Name}' belongs to a different graph");
        }
        using var scope = NameScope(name);

        // grad_ys: ones of y's shape by default.
        var seeds = new Output[ys.Length];
        for (int i = 0; i < ys.Length; i++)
        {
            var y = ys[i];
            if (gradYs is not null)
            {
                if (gradYs[i].DType != y.DType)
                    throw new InvalidArgumentException($"grad_ys[{i}] has dtype {gradYs[i].DType.Name()}, but y '{y.Name}' has dtype {y.DType.Name()}");
                seeds[i] = Identity(gradYs[i], $"grad_ys_{i}");
            }
            else
            {
                if (!y.DType.IsFloating())
                    throw new InvalidArgumentException($"Gradients of y '{y.Name}' with dtype {y.DType.Name()} are not defined; ys must be float");
                var shape = ShapeOf(y);
                seeds[i] = Fill(shape, Constant(ScalarOf(y.DType, 1), name: $"grad_ys_{i}"));
            }
        }

        // Ops reachable forward from xs along float edges, and between xs and ys.
        var reached = new HashSet<Operation>();
        var queue = new Queue<Operation>();
        foreach (var x in xs) if (reached.Add(x.Op)) queue.Enqueue(x.Op);
        while (queue.Count > 0)
        {
            var op = queue.Dequeue();
            foreach (var (consumer, input) in op.Consumers.ToArray())
            {
                if (!IsBackpropagatable(consumer.Inputs[input])) continue;
                if (reached.Add(consumer)) queue.Enqueue(consumer);
            }
        }
        var between = new HashSet<Operation>();
        foreach (var y in ys) if (reached.Contains(y.Op) && between.Add(y.Op)) queue.Enqueue(y.Op);
        while (queue.Count > 0)
        {
            var op = queue.Dequeue();
            foreach (var i in op.Inputs)
                if (reached.Contains(i.Op) && between.Add(i.Op)) queue.Enqueue(i.Op);
        }
        var pending = new Dictionary<Operation, int>();
        foreach (var op in between)
            foreach (var i in op.Inputs)
                if (between.Contains(i.Op)) pending[i.Op] = pending.GetValueOrDefault(i.Op) + 1;

        // Stop ops: xs ops with no gradient-carrying predecessor, and the explicit stop list.
        var stopOps = new HashSet<Operation>();
        foreach (var x in xs)
        {
            if (x.Op.Inputs.ToArray().All(i => pending.GetValueOrDefault(i.Op) == 0)) stopOps.Add(x.Op);
        }
        foreach (var s in stopGradients ?? []) stopOps.Add(s.Op);

        var grads = new Dictionary<Operation, List<Output>[]>();
        void AddGrad(Output t, Output g)
        {
            if (!grads.TryGetValue(t.Op, out var lists))
            {
                lists = new List<Output>[t.Op.NumOutputs];
                for (int k = 0; k < lists.Length; k++) lists[k] = [];
                grads[t.Op] = lists;
            }
            lists[t.Index].Add(g);
        }
        for (int i = 0; i < ys.Length; i++) AddGrad(ys[i], seeds[i]);

        var ready = new Queue<Operation>();
        var queued = new HashSet<Operation>();
        foreach (var y in ys)
            if (pending.GetValueOrDefault(y.Op) == 0 && queued.Add(y.Op)) ready.Enqueue(y.Op);

        while (ready.Count > 0)
        {
            var op = ready.Dequeue();
            var outGrads = new Output?[op.NumOutputs];
            bool any = false;
            for (int k = 0; k < op.NumOutputs; k++)
            {
                outGrads[k] = Aggregate(grads.TryGetValue(op, out var l) ? l[k] : null);
                any |= outGrads[k] is not null;
            }
            var inGrads = new Output?[op.NumInputs];
            if (any && !stopOps.Contains(op) && between.Contains(op))
            {
                if (!GradientRegistry.TryGet(op.Type, out var fn))
                    throw new UnimplementedException($"No gradient defined for operation '{op.Name}' (op type: {op.Type}){SourceLocation.Suffix(op.Location, op.Name)}") { NodeName = op.Name };
                if (fn is not null)
                {
                    for (int k = 0; k < op.NumOutputs; k++)
                        if (outGrads[k] is null && IsBackpropagatable(op[k])) outGrads[k] = ZerosLike(op[k]);
                    using (NameScope(op.Name + "_grad"))
                    {
                        var r = fn(new GradContext(this, op, outGrads));
                        if (r.Length != op.NumInputs)
                            throw new InternalException($"Gradient of {op.Type} returned {r.Length} values for {op.NumInputs} inputs");
                        if (gateGradients && r.Count(g => g is not null) > 1) r = Tuple(r);
                        inGrads = r;
                    }
                }
            }
            for (int i = 0; i < op.NumInputs; i++)
            {
                var input = op.Inputs[i];
                if (inGrads[i] is { } g && IsBackpropagatable(input))
                {
                    if (g.DType != input.DType)
                        throw new InternalException($"Gradient of {op.Type} input {i} has dtype {g.DType.Name()}, expected {input.DType.Name()}");
                    AddGrad(input, g);
                }
                if (between.Contains(input.Op))
                {
                    int c = pending[input.Op] - 1;
                    pending[input.Op] = c;
                    if (c == 0 && queued.Add(input.Op)) ready.Enqueue(input.Op);
                }
            }
        }

        var result = new Output?[xs.Length];
        for (int i = 0; i < xs.Length; i++)
            result[i] = grads.TryGetValue(xs[i].Op, out var l) ? Aggregate(l[xs[i].Index]) : null;
        return result;

        Output? Aggregate(List<Output>? list)
        {
            if (list is null || list.Count == 0) return null;
            if (list.Count == 1) return list[0];
            var sum = AddN([.. list]);
            list.Clear();
            list.Add(sum);
            return sum;
        }
    }

    /// <summary>Gradient of a single y with respect to <paramref name="xs"/>.</summary>
    public Output?[] Gradients(Output y, params Output[] xs) => Gradients([y], xs);

    /// <summary>
    /// TF's <c>tf.tuple</c>: Identity of each tensor, gated on a NoOp (<c>tuple/group_deps</c>) that
    /// depends on all of them, so none is used before all are computed.
    /// </summary>
    public Output?[] Tuple(Output?[] tensors, string name = "tuple")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = NameScope(name);
        var deps = Group(tensors.Where(t => t is not null).Select(t => t!.Value.Op).Distinct(), "group_deps");
        var r = new Output?[tensors.Length];
        using (ControlDependencies(deps))
        {
            for (int i = 0; i < tensors.Length; i++)
                if (tensors[i] is { } t) r[i] = Identity(t, "control_dependency");
        }
        return r;
    }

    private static bool IsBackpropagatable(Output t) => t.DType.IsFloating();
}
