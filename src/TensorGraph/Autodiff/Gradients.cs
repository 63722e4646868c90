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
        => RunBackwardPass(ys, xs, gradYs, stopGradients, gateGradients, name, static (pass, x) => pass.GradientOf(x));

    /// <summary>
    /// <see cref="Gradients(Output[], Output[], Output[], Output[], bool, string)"/> keeping sparse
    /// gradients sparse, as <c>tf.gradients</c> returns them: a gather along axis 0 gives
    /// <see cref="IndexedSlices"/>, several IndexedSlices sum by concatenation. Optimizers apply
    /// these with sparse updates.
    /// </summary>
    public Gradient?[] GradientValues(Output[] ys, Output[] xs, Output[]? gradYs = null, Output[]? stopGradients = null,
        bool gateGradients = false, string name = "gradients")
        => RunBackwardPass(ys, xs, gradYs, stopGradients, gateGradients, name, static (pass, x) => pass.GradientValueOf(x));

    /// <summary>One backward pass under the <paramref name="name"/> scope; <paramref name="pick"/> reads each x's gradient inside that scope.</summary>
    private T[] RunBackwardPass<T>(Output[] ys, Output[] xs, Output[]? gradYs, Output[]? stopGradients, bool gateGradients, string name,
        Func<BackwardPass, Output, T> pick)
    {
        ValidateGradientArguments(ys, xs, gradYs, stopGradients);
        using var scope = NameScope(name);
        var seeds = GradientSeeds(ys, gradYs);
        var pass = new BackwardPass(this, ys, xs, stopGradients ?? [], gateGradients, _controlContext);
        for (int i = 0; i < ys.Length; i++) pass.AddGradient(ys[i], seeds[i]);
        pass.Run(ys);
        return [.. xs.Select(x => pick(pass, x))];
    }

    private void ValidateGradientArguments(Output[] ys, Output[] xs, Output[]? gradYs, Output[]? stopGradients)
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
    }

    /// <summary>grad_ys: the given ones (as <c>grad_ys_i</c> Identities), by default ones of y's shape.</summary>
    private Output[] GradientSeeds(Output[] ys, Output[]? gradYs)
    {
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
        return seeds;
    }

    /// <summary>
    /// One reverse sweep of <see cref="Gradients(Output[], Output[], Output[], Output[], bool, string)"/>:
    /// the ops between xs and ys, a pending count per op (its consumers not yet visited), the
    /// gradients collected per output, and the visit that calls each op's gradient once all its
    /// consumers have contributed.
    /// </summary>
    private sealed class BackwardPass
    {
        private readonly Graph _graph;
        private readonly bool _gate;
        private readonly HashSet<Operation> _between;
        private readonly Dictionary<Operation, int> _pending;
        private readonly HashSet<Operation> _stopOps;
        private readonly Dictionary<Operation, List<Output>[]> _grads = [];
        private readonly Dictionary<Operation, List<IndexedSlices>[]> _sparse = [];
        private readonly Queue<Operation> _ready = new();
        private readonly HashSet<Operation> _queued = [];
        private readonly LoopGradientStates? _loops;

        public BackwardPass(Graph graph, Output[] ys, Output[] xs, Output[] stopGradients, bool gateGradients, ControlFlowContext? caller)
        {
            _graph = graph;
            _gate = gateGradients;
            _between = OpsBetween(ys, xs);
            // While loops between xs and ys get their gradient state (counters, backprop loops)
            // first, and all their Exits join the ops to visit (TF's MaybeCreateControlFlowState).
            _loops = LoopGradientStates.Create(graph, _between, caller);
            _pending = PendingCounts(_between);
            _stopOps = StopOps(xs, stopGradients, _pending);
        }

        /// <summary>Ops reachable forward from xs along float edges that also lead to a y.</summary>
        private static HashSet<Operation> OpsBetween(Output[] ys, Output[] xs)
        {
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
            return between;
        }

        private static Dictionary<Operation, int> PendingCounts(HashSet<Operation> between)
        {
            var pending = new Dictionary<Operation, int>();
            foreach (var op in between)
                foreach (var i in op.Inputs)
                    if (between.Contains(i.Op)) pending[i.Op] = pending.GetValueOrDefault(i.Op) + 1;
            return pending;
        }

        /// <summary>xs ops with no gradient-carrying predecessor, and the explicit stop list.</summary>
        private static HashSet<Operation> StopOps(Output[] xs, Output[] stopGradients, Dictionary<Operation, int> pending)
        {
            var stopOps = new HashSet<Operation>();
            foreach (var x in xs)
                if (x.Op.Inputs.ToArray().All(i => pending.GetValueOrDefault(i.Op) == 0)) stopOps.Add(x.Op);
            foreach (var s in stopGradients) stopOps.Add(s.Op);
            return stopOps;
        }

        public void AddGradient(Output t, Output g)
        {
            if (!_grads.TryGetValue(t.Op, out var lists))
            {
                lists = new List<Output>[t.Op.NumOutputs];
                for (int k = 0; k < lists.Length; k++) lists[k] = [];
                _grads[t.Op] = lists;
            }
            lists[t.Index].Add(g);
        }

        private void AddSparse(Output t, IndexedSlices s)
        {
            if (!_sparse.TryGetValue(t.Op, out var lists))
            {
                lists = new List<IndexedSlices>[t.Op.NumOutputs];
                for (int k = 0; k < lists.Length; k++) lists[k] = [];
                _sparse[t.Op] = lists;
            }
            lists[t.Index].Add(s);
            if (!_grads.ContainsKey(t.Op)) AddGradientList(t.Op);
        }

        private void AddGradientList(Operation op)
        {
            var lists = new List<Output>[op.NumOutputs];
            for (int k = 0; k < lists.Length; k++) lists[k] = [];
            _grads[op] = lists;
        }

        /// <summary>The summed gradient of <paramref name="x"/> made dense, or null when none reached it.</summary>
        public Output? GradientOf(Output x) => Aggregate(x.Op, x.Index)?.ToDense();

        /// <summary>The summed gradient of <paramref name="x"/> (sparse when TF's would be), or null.</summary>
        public Gradient? GradientValueOf(Output x) => Aggregate(x.Op, x.Index);

        /// <summary>Visits ops from ys toward xs, each once all its consumers between xs and ys have contributed.</summary>
        public void Run(Output[] ys)
        {
            var toOps = new HashSet<Operation>();
            foreach (var y in ys)
            {
                if (_pending.GetValueOrDefault(y.Op) == 0 && _queued.Add(y.Op))
                {
                    toOps.Add(y.Op);
                    _ready.Enqueue(y.Op);
                }
            }
            if (_loops is not null)
            {
                // Loop outputs nothing reads get zeros once all outputs of their loop are known.
                foreach (var y in _loops.ProcessUnusedLoopExits(_pending, toOps))
                {
                    if (!IsBackpropagatable(y)) continue;
                    AddGradient(y, _loops.ZerosLikeForExit(y));
                    if (_queued.Add(y.Op)) _ready.Enqueue(y.Op);
                }
            }
            while (_ready.Count > 0) Visit(_ready.Dequeue());
            _loops?.PostProcessing();
        }

        /// <summary>Makes the backprop loop of <paramref name="state"/> (if any) current while <paramref name="build"/> runs.</summary>
        private T InGradLoop<T>(GradLoopState? state, Func<T> build)
        {
            if (state is null) return build();
            var saved = _graph._controlContext;
            _graph._controlContext = state.Grad;
            try
            {
                return build();
            }
            finally
            {
                _graph._controlContext = saved;
            }
        }

        private void Visit(Operation op)
        {
            var outValues = new Gradient?[op.NumOutputs];
            bool any = false;
            InGradLoop(_loops?.Of(op, before: true), () =>
            {
                for (int k = 0; k < op.NumOutputs; k++)
                {
                    outValues[k] = Aggregate(op, k);
                    any |= outValues[k] is not null;
                }
                return 0;
            });
            IReadOnlyDictionary<int, IndexedSlices>? sparseIn = null;
            var inGrads = any && !_stopOps.Contains(op) && _between.Contains(op)
                ? InGradLoop(_loops?.Of(op, before: false), () => InputGradients(op, outValues, out sparseIn))
                : new Output?[op.NumInputs];
            for (int i = 0; i < op.NumInputs; i++)
            {
                var input = op.Inputs[i];
                if (inGrads[i] is { } g && IsBackpropagatable(input))
                {
                    if (g.DType != input.DType && !(input.DType == DType.Resource && g.DType.IsFloating()))
                        throw new InternalException($"Gradient of {op.Type} input {i} has dtype {g.DType.Name()}, expected {input.DType.Name()}");
                    AddGradient(input, g);
                }
                if (sparseIn is not null && sparseIn.TryGetValue(i, out var s) && IsBackpropagatable(input))
                {
                    if (s.Values.DType != input.DType && !(input.DType == DType.Resource && s.Values.DType.IsFloating()))
                        throw new InternalException($"Sparse gradient of {op.Type} input {i} has dtype {s.Values.DType.Name()}, expected {input.DType.Name()}");
                    AddSparse(input, s);
                }
                if (_between.Contains(input.Op))
                {
                    int c = _pending[input.Op] - 1;
                    _pending[input.Op] = c;
                    if (c == 0 || (c > 0 && _loops is not null && IsLoopSwitch(input.Op))) Ready(input.Op);
                }
            }
        }

        /// <summary>
        /// Queues an op whose consumers have all been visited. A loop Switch is queued at each visit
        /// of a consumer (its Exit side first, its body side later); a loop Exit waits until all
        /// Exits of its loop are ready (TF's _UpdatePendingAndEnqueueReady).
        /// </summary>
        private void Ready(Operation op)
        {
            if (_loops is not null && IsLoopSwitch(op))
            {
                _ready.Enqueue(op);
                return;
            }
            if (_loops is not null && IsLoopExit(op) && _loops.Of(op, before: false) is { } state)
            {
                state.DeferredExits.Add(op[0]);
                if (--state.PendingExitsCount > 0) return;
                bool anyGrad = false;
                foreach (var y in state.DeferredExits)
                {
                    if (HasGradient(y.Op))
                    {
                        anyGrad = true;
                        if (_queued.Add(y.Op)) _ready.Enqueue(y.Op);
                    }
                    else state.UnusedExits.Add(y);
                }
                foreach (var y in state.UnusedExits)
                {
                    if (anyGrad && y.DType.IsFloating()) AddGradient(y, _loops.ZerosLikeForExit(y));
                    if (_queued.Add(y.Op)) _ready.Enqueue(y.Op);
                }
                return;
            }
            if (_queued.Add(op)) _ready.Enqueue(op);
        }

        private bool HasGradient(Operation op) =>
            (_grads.TryGetValue(op, out var lists) && lists.Any(l => l.Count > 0)) ||
            (_sparse.TryGetValue(op, out var sparse) && sparse.Any(l => l.Count > 0));

        /// <summary>Calls the op's declared gradient in the <c>&lt;op&gt;_grad</c> scope (zeros for outputs without a gradient).</summary>
        private Output?[] InputGradients(Operation op, Gradient?[] outValues, out IReadOnlyDictionary<int, IndexedSlices>? sparse)
        {
            sparse = null;
            if (!GradientRegistry.TryGet(op, out var fn))
                throw new UnimplementedException($"No gradient defined for operation '{op.Name}' (op type: {op.Type}){SourceLocation.Suffix(op.Location, op.Name)}") { NodeName = op.Name };
            if (fn is null) return new Output?[op.NumInputs];
            var state = _loops?.Of(op, before: false);
            var outGrads = new Output?[op.NumOutputs];
            IndexedSlices?[]? sparseGrads = null;
            for (int k = 0; k < op.NumOutputs; k++)
            {
                if (outValues[k]?.Sparse is { } s) (sparseGrads ??= new IndexedSlices?[op.NumOutputs])[k] = s;
                else outGrads[k] = outValues[k]?.Dense;
            }
            for (int k = 0; k < op.NumOutputs; k++)
            {
                // TF's supports_default_grad: a resource handle has no zeros.
                if (outGrads[k] is not null || sparseGrads?[k] is not null || !op[k].DType.IsFloating()) continue;
                outGrads[k] = state is not null ? state.ZerosLike(op, k) : _graph.ZerosLike(op[k]);
            }
            using (_graph.NameScope(op.Name + "_grad"))
            {
                var ctx = new GradContext(_graph, op, outGrads, sparseGrads);
                var r = fn(ctx);
                sparse = ctx.SparseResults;
                if (r.Length != op.NumInputs)
                    throw new InternalException($"Gradient of {op.Type} returned {r.Length} values for {op.NumInputs} inputs");
                if (_gate && r.Count(g => g is not null) > 1) r = _graph.Tuple(r);
                return r;
            }
        }

        /// <summary>
        /// The summed gradient of output <paramref name="k"/> of <paramref name="op"/>, built once
        /// (later reads reuse it), as TF's _AggregatedGrads: dense gradients only sum with AddN;
        /// with any IndexedSlices among them, all become IndexedSlices (a dense one with indices
        /// Range(0, shape[0])) summed by concatenating values and indices.
        /// </summary>
        private Gradient? Aggregate(Operation op, int k)
        {
            var dense = _grads.TryGetValue(op, out var l) ? l[k] : null;
            var sparse = _sparse.TryGetValue(op, out var sl) ? sl[k] : null;
            int nd = dense?.Count ?? 0, ns = sparse?.Count ?? 0;
            if (nd + ns == 0) return null;
            if (ns == 0)
            {
                if (nd == 1) return new Gradient(dense![0]);
                var sum = _graph.AddN([.. dense!]);
                dense!.Clear();
                dense.Add(sum);
                return new Gradient(sum);
            }
            if (nd == 0 && ns == 1) return new Gradient(sparse![0]);
            var parts = new List<IndexedSlices>(sparse!);
            foreach (var d in dense ?? [])
            {
                var shape = _graph.ShapeOf(d);
                parts.Add(new IndexedSlices(d, _graph.Range(_graph.Constant(0), shape.Slice(0), _graph.Constant(1)), shape));
            }
            bool mixed = parts.Any(p => p.Indices.DType == DType.Int64) && parts.Any(p => p.Indices.DType != DType.Int64);
            var values = _graph.Concat([.. parts.Select(p => p.Values)], 0);
            var indices = _graph.Concat([.. parts.Select(p => mixed ? _graph.Cast(p.Indices, DType.Int64) : p.Indices)], 0);
            var concat = new IndexedSlices(values, indices, parts[0].DenseShape);
            dense?.Clear();
            sparse!.Clear();
            sparse.Add(concat);
            return new Gradient(concat);
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

    /// <summary>TF's <c>_IsBackpropagatable</c>: floating tensors and resource handles (a resource variable's gradient arrives at its handle).</summary>
    private static bool IsBackpropagatable(Output t) => t.DType.IsFloating() || t.DType == DType.Resource;
}
