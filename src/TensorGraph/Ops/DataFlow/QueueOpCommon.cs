using TensorGraph.Proto;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// The schema the four queue-creating ops share (TF's <c>QueueOp</c>, a <c>ResourceOpKernel</c>):
/// <c>component_types</c>, <c>shapes</c>, <c>capacity</c>, <c>container</c>, <c>shared_name</c>, one
/// resource handle out. The queue lives in the session (<see cref="SessionResources"/>) under
/// (container, shared_name) — a non-empty shared name is also the queue's name — or, with no shared
/// name, under the node, named <c>_N_node</c> with a number unique in the session, as TF's
/// resource manager names it. Looking a shared queue up from a node that declares a different
/// type, capacity, dtypes or shapes is InvalidArgument, as in TF's <c>MatchesNodeDef</c>.
/// </summary>
internal abstract class QueueOpSpec : OpSpec
{
    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["handle: resource"];

    /// <summary>The dtypes of the queue's elements as its ops see them (the priority queue adds its int64 priority).</summary>
    public virtual DType[] ComponentTypes(Operation queueOp) => QueueOps.Types(queueOp.GetAttr("component_types"));

    /// <summary>The components' shapes as its ops see them (empty when none were given).</summary>
    public virtual Shape[] ComponentShapes(Operation queueOp) => QueueOps.Shapes(queueOp.GetAttr("shapes"));

    public override void Infer(InferContext c)
    {
        var types = QueueOps.Types(c.Attr("component_types"));
        var shapes = QueueOps.Shapes(c.Attr("shapes"));
        CheckAttrs(c, types, shapes);
        c.AddOutput(DType.Resource, Shape.Scalar);
    }

    /// <summary>Build-time checks of the attrs (TF's kernel constructor checks).</summary>
    protected virtual void CheckAttrs(InferContext c, DType[] types, Shape[] shapes)
    {
        if (types.Length == 0) throw c.Error("component_types must list at least one dtype");
        if (shapes.Length != 0 && shapes.Length != types.Length)
            throw c.Error($"All of the component shapes must be specified: got {shapes.Length} shapes for {types.Length} components");
        foreach (var s in shapes)
        {
            if (!s.IsFullyDefined) throw c.Error($"Every component shape must be fully defined, got {s}");
        }
    }

    /// <summary>Creates the queue for <paramref name="op"/> (its name is given).</summary>
    protected abstract QueueResource Create(Operation op, string name, DType[] types, Shape[] shapes, int capacity);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var types = ComponentTypes(op);
        var shapes = ComponentShapes(op);
        int capacity = checked((int)Math.Clamp(op.GetAttrInt("capacity"), -1, int.MaxValue));
        var shared = op.GetAttrString("shared_name");
        var key = "queue:" + op.GetAttrString("container") + "/" + (shared.Length > 0 ? shared : "\u0001" + op.Name);
        var resources = b.Session.Resources;
        return new LambdaKernel(ctx =>
        {
            var q = (QueueResource)resources.GetOrCreate(key, () =>
            {
                var name = shared.Length > 0 ? shared : $"_{resources.NextUniqueId()}_{op.Name}";
                return Create(op, name, types, shapes, capacity);
            });
            if (shared.Length > 0) Match(q, op, types, shapes, capacity);
            ctx.SetOutput(0, new Tensor(DType.Resource, new object[] { q }, [], 1));
        }, OutputKind.External);
    }

    private static void Match(QueueResource q, Operation op, DType[] types, Shape[] shapes, int capacity)
    {
        if (q.OpType != op.Type)
            throw new InvalidArgumentException($"Shared queue '{q.Name}' has type '{q.OpType}' that does not match type of Node '{op.Name}': {op.Type}");
        int cap = capacity < 0 ? int.MaxValue : capacity;
        if (q.Capacity != cap)
            throw new InvalidArgumentException($"Shared queue '{q.Name}' has capacity {Cap(q.Capacity)} but requested capacity was {Cap(cap)}");
        if (!q.Types.SequenceEqual(types))
            throw new InvalidArgumentException($"Shared queue '{q.Name}' has component types {QueueOps.TypeList(q.Types)} but requested component types were {QueueOps.TypeList(types)}");
        if (!q.Shapes.SequenceEqual(shapes))
            throw new InvalidArgumentException($"Shared queue '{q.Name}' has component shapes {QueueOps.ShapeList(q.Shapes)} but requested component shapes were {QueueOps.ShapeList(shapes)}");
    }

    private static string Cap(int c) => c == int.MaxValue ? "unbounded" : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Helpers of the queue ops: attrs, the queue behind a handle at build time and at run time.</summary>
internal static class QueueOps
{
    public static DType[] Types(AttrValue? a) => [.. (a?.List?.Type ?? []).Select(DTypes.FromProto)];

    public static Shape[] Shapes(AttrValue? a) => [.. (a?.List?.Shape ?? []).Select(Shape.FromProto)];

    public static string TypeList(IEnumerable<DType> types) => "[" + string.Join(", ", types.Select(t => ArgSpec.TfName(t))) + "]";

    public static string ShapeList(IEnumerable<Shape> shapes) => "[" + string.Join(", ", shapes.Select(QueueResource.DebugString)) + "]";

    /// <summary>The queue-creating node behind <paramref name="handle"/>, when build time can see it (else null: an imported or fed handle).</summary>
    public static (QueueOpSpec Spec, Operation Op)? Source(Output handle)
    {
        var o = handle;
        for (int guard = 0; guard < 100; guard++)
        {
            if (o.Op.Spec is QueueOpSpec q) return (q, o.Op);
            // Identity-like forwarding of the handle (Identity, Enter, Switch, ...): follow input 0.
            if (o.Op.NumInputs > 0 && o.Op.Inputs[0].DType == DType.Resource && o.Op.Spec.Inert is null && o.DType == DType.Resource) { o = o.Op.Inputs[0]; continue; }
            break;
        }
        return null;
    }

    /// <summary>Inference: input 0 must be a resource handle.</summary>
    public static void RequireHandle(InferContext c)
    {
        if (c.InputType(0) != DType.Resource)
            throw c.Error($"Expected a queue handle (resource) as input 0, got {c.InputType(0).Name()} ('{c.Inputs[0].Name}')");
    }

    /// <summary>
    /// Inference of a dequeue: the declared component types must be the queue's; the outputs get
    /// the queue's shapes with <paramref name="batch"/> in front (null: a single element; -1: unknown).
    /// </summary>
    public static void InferDequeue(InferContext c, int? batch)
    {
        RequireHandle(c);
        var types = Types(c.Attr("component_types"));
        if (types.Length == 0) throw c.Error("component_types must list at least one dtype");
        Shape[] shapes = [];
        if (Source(c.Inputs[0]) is { } src)
        {
            var qTypes = src.Spec.ComponentTypes(src.Op);
            if (!qTypes.SequenceEqual(types))
                throw c.Error($"Queue '{src.Op.Name}' holds elements of types {TypeList(qTypes)}, but the dequeue's component_types are {TypeList(types)}");
            shapes = src.Spec.ComponentShapes(src.Op);
        }
        for (int i = 0; i < types.Length; i++)
        {
            var s = shapes.Length > i ? shapes[i] : Shape.Unknown;
            if (batch is { } b && s.IsRankKnown) s = new Shape([b, .. s.ToArray()]);
            else if (batch is not null) s = Shape.Unknown;
            c.AddOutput(types[i], s);
        }
    }

    /// <summary>
    /// Inference of an enqueue: the components' dtypes (and static shapes, when known) must fit the
    /// queue, as TF's Python <c>_check_enqueue_dtypes</c> and <c>assert_is_compatible_with</c> check.
    /// </summary>
    public static void InferEnqueue(InferContext c, bool many)
    {
        RequireHandle(c);
        if (c.NumInputs < 2) throw c.Error("An enqueue needs at least one component");
        if (Source(c.Inputs[0]) is not { } src) return;
        var qTypes = src.Spec.ComponentTypes(src.Op);
        var shapes = src.Spec.ComponentShapes(src.Op);
        int n = c.NumInputs - 1;
        if (n != qTypes.Length)
            throw c.Error($"Expected {qTypes.Length} components for queue '{src.Op.Name}', got {n}");
        for (int i = 0; i < n; i++)
        {
            if (c.InputType(i + 1) != qTypes[i])
                throw c.Error($"Component {i} of the enqueue is {c.InputType(i + 1).Name()} ('{c.Inputs[i + 1].Name}'), but queue '{src.Op.Name}' holds {qTypes[i].Name()}");
            var s = c.InputShape(i + 1);
            if (many && s.IsRankKnown && s.Rank == 0)
                throw c.Error($"Shape must be at least rank 1 but is rank 0 for component {i} ('{c.Inputs[i + 1].Name}') of an EnqueueMany");
            if (shapes.Length == 0 || !s.IsRankKnown) continue;
            var elem = many ? new Shape(s.ToArray()[1..]) : s;
            if (!elem.IsCompatibleWith(shapes[i]))
                throw c.Error($"Shapes {elem} and {shapes[i]} are incompatible: component {i} ('{c.Inputs[i + 1].Name}') does not fit queue '{src.Op.Name}'");
        }
    }

    /// <summary>Run time: the dequeue's declared types must be the queue's.</summary>
    public static void CheckTypes(QueueResource q, DType[] types)
    {
        if (!q.Types.SequenceEqual(types))
            throw new InvalidArgumentException($"{q.Kind} '{q.Name}' has component types {TypeList(q.Types)} but the op expects {TypeList(types)}");
    }

    /// <summary>A kernel's dequeue count input: a non-negative int32 scalar.</summary>
    public static int Count(Tensor n, QueueResource q, string op)
    {
        if (n.Rank != 0) throw new InvalidArgumentException($"{op} requires a scalar n, got shape {Shape.Format(n.Dims)}");
        int v = n.Scalar<int>();
        if (v < 0) throw new InvalidArgumentException($"{op} requested {v} < 0 elements");
        return v;
    }

    /// <summary>A DequeueMany/UpTo kernel: n elements stacked (padded for a padding queue).</summary>
    public static OpKernel ManyKernel(KernelBuilder b, bool allowSmallBatch, string opName)
    {
        var types = Types(b.Op.GetAttr("component_types"));
        return new LambdaKernel(ctx =>
        {
            var q = QueueResource.Resolve(ctx.Input(0));
            CheckTypes(q, types);
            int n = Count(ctx.Input(1), q, opName);
            if (!q.SpecifiedShapes)
                throw new InvalidArgumentException(
                    $"{q.Kind}'s DequeueMany and DequeueUpTo require the components to have specified shapes.");
            var batch = q.Batch(q.Dequeue(n, allowSmallBatch, ctx), ctx);
            for (int i = 0; i < batch.Length; i++) ctx.SetOutput(i, batch[i]);
        }, OutputKind.External);
    }
}
