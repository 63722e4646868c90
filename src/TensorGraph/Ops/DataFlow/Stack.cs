using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// A stack of tensors living for one run (TF's <c>Stack</c> resource in the step container,
/// core/kernels/stack.cc): the accumulator a while-loop gradient pushes forward values onto and
/// pops them from in the backward loop, last in first out.
/// </summary>
internal sealed class StackResource(DType elemType, string name, int maxSize) : RunResource(name)
{
    private readonly List<Tensor> _items = [];
    private bool _closed;

    public DType ElemType { get; } = elemType;

    public override string Kind => "stack";

    /// <summary>TF's <c>Stack::Push</c>: fails on a closed stack or past <c>max_size</c>.</summary>
    public void Push(Tensor value)
    {
        lock (Sync)
        {
            CheckOpen();
            if (maxSize >= 0 && _items.Count >= maxSize)
                throw new InvalidArgumentException($"Stack[{Name}] overflowed its max_size ({maxSize})");
            _items.Add(value);
        }
    }

    /// <summary>TF's <c>Stack::Pop</c>: the last tensor pushed; an empty stack is an error.</summary>
    public Tensor Pop()
    {
        lock (Sync)
        {
            CheckOpen();
            if (_items.Count == 0) throw new InvalidArgumentException($"Stack[{Name}] is empty when calling Pop().");
            var t = _items[^1];
            _items.RemoveAt(_items.Count - 1);
            return t;
        }
    }

    /// <summary>TF's <c>Stack::Close</c>: drops the elements; later pushes and pops fail.</summary>
    public void Close()
    {
        lock (Sync)
        {
            _items.Clear();
            _closed = true;
        }
    }

    protected override void OnRelease() => _items.Clear();

    private void CheckOpen()
    {
        if (_closed) throw new InvalidArgumentException($"Stack[{Name}] has already been closed.");
    }

    /// <summary>The container the v1 ops' string handles name (TF's <c>kContainer</c>).</summary>
    public const string Container = "_stacks";

    /// <summary>
    /// The stack input 0 of the running node refers to: a resource handle (the V2 ops) or, as TF's
    /// <c>GetStack</c> reads the v1 ops' <c>Ref(string)</c> handle, the pair (container, name)
    /// looked up among this run's stacks.
    /// </summary>
    public static StackResource From(OpContext ctx)
    {
        var h = ctx.Input(0);
        if (h.DType != DType.String) return RunResources.Resolve<StackResource>(h, "stack");
        if (h.Size != 2)
            throw OpContext.Error($"A stack handle must be a string tensor of two elements (container, name), got shape {Shape.Format(h.Dims)}");
        var parts = h.Span<byte[]>();
        string container = Encoding.UTF8.GetString(parts[0]), name = Encoding.UTF8.GetString(parts[1]);
        return ctx.RunResources.Find<StackResource>(Key(container, name))
            ?? throw new NotFoundException($"Resource {container}/{name} does not exist: stacks live for one Session.Run");
    }

    /// <summary>The key a v1 stack is registered under in the run's resources.</summary>
    public static (string, string, string) Key(string container, string name) => ("stack", container, name);

    /// <summary>Inference: input 0 must be a resource handle (V2) or a string handle (v1, <paramref name="legacy"/>).</summary>
    public static void RequireHandle(InferContext c, bool legacy = false)
    {
        var want = legacy ? DType.String : DType.Resource;
        if (c.InputType(0) != want)
            throw c.Error($"Expected a stack handle ({want.Name()}) as input 0, got {c.InputType(0).Name()} ('{c.Inputs[0].Name}')");
    }
}

/// <summary>
/// StackV2: creates a stack of <c>elem_type</c> tensors for this run and outputs its handle.
/// <c>max_size</c> &lt; 0 means unlimited. Every execution makes a new stack, named
/// <c>stack_name</c> (or the node's name) plus <c>_</c> and a process-wide serial, as TF names it.
/// </summary>
internal sealed class StackV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("elem_type", "type"), new("stack_name", "string", Attr.String(""))];

    public const string OpType = "StackV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["max_size: int32"];

    protected override string[] OutputArgs => ["handle: resource"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Int32);
        if (c.InputShape(0).IsRankKnown && c.InputShape(0).Rank != 0)
            throw c.Error($"Stack size must be a scalar, but had shape: {c.InputShape(0)}");
        c.AddOutput(DType.Resource, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var elem = op.GetAttrType("elem_type");
        var baseName = op.GetAttrString("stack_name") is { Length: > 0 } n ? n : op.Name;
        return new LambdaKernel(ctx =>
        {
            var size = ctx.Input(0);
            if (size.Rank != 0) throw OpContext.Error($"Stack size must be a scalar, but had shape: {Shape.Format(size.Dims)}");
            int max = size.Scalar<int>();
            var stack = ctx.RunResources.Create(op, serial => new StackResource(elem, $"{baseName}_{serial}", max < 0 ? int.MaxValue : max));
            ctx.SetOutput(0, RunResources.Handle(stack));
        }, OutputKind.External);
    }
}

/// <summary>StackPushV2: pushes <c>elem</c> (a copy of it) onto the stack and outputs <c>elem</c>.</summary>
internal sealed class StackPushV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("swap_memory", "bool", Attr.Bool(false))];

    public const string OpType = "StackPushV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: resource", "elem: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        StackResource.RequireHandle(c);
        c.AddOutput(c.InputType(1), c.InputShape(1));
    }

    /// <summary>swap_memory (TF's GPU-to-host swapping) has nothing to do on the CPU.</summary>
    public override OpKernel CreateKernel(KernelBuilder b) => new PushKernel();

    /// <summary>Pushes input 1 onto the stack input 0 names and forwards it (StackPush and StackPushV2).</summary>
    internal sealed class PushKernel : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override int ForwardedInput(int output) => 1;

        public override void Compute(OpContext ctx)
        {
            var stack = StackResource.From(ctx);
            var v = ctx.Input(1);
            if (v.DType != stack.ElemType)
                throw OpContext.Error($"Must have type {ArgSpec.TfName(stack.ElemType)} but got {ArgSpec.TfName(v.DType)}");
            // A copy: the input's buffer may be reused by later nodes of the run, or be a variable's value.
            stack.Push(ctx.CopyToKeep(v));
            ctx.SetOutput(0, v);
        }
    }
}

/// <summary>StackPopV2: removes the top of the stack and outputs it; an empty stack is InvalidArgument.</summary>
internal sealed class StackPopV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("elem_type", "type")];

    public const string OpType = "StackPopV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: resource"];

    protected override string[] OutputArgs => ["elem: elem_type"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF's shape function says nothing (UnknownShape); the gradient code sets the pushed value's shape on the node.</summary>
    public override void Infer(InferContext c)
    {
        StackResource.RequireHandle(c);
        c.AddOutput(c.AttrType("elem_type"), Shape.Unknown);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => PopKernel(b.OutputType(0));

    /// <summary>Pops the top of the stack input 0 names (StackPop and StackPopV2).</summary>
    internal static OpKernel PopKernel(DType elem) => new LambdaKernel(ctx =>
    {
        var stack = StackResource.From(ctx);
        if (stack.ElemType != elem)
            throw OpContext.Error($"Stack[{stack.Name}] holds {stack.ElemType.Name()} elements, but the pop expects {elem.Name()}");
        // The popped tensor belongs to nobody else now.
        ctx.SetOutput(0, stack.Pop());
    }, OutputKind.External);
}

/// <summary>StackCloseV2: empties the stack and closes it; later pushes and pops fail.</summary>
internal sealed class StackCloseV2Spec : OpSpec
{
    public const string OpType = "StackCloseV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: resource"];

    protected override string[] OutputArgs => [];

    public override void Infer(InferContext c) => StackResource.RequireHandle(c);

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx => StackResource.From(ctx).Close());
}

/// <summary>
/// Stack: the v1 spelling of StackV2 (TF 1.0's while-loop gradients use it): no <c>max_size</c>
/// input (unlimited), and the handle is a <c>Ref(string)</c> of two elements, the container
/// <c>_stacks</c> and the stack's name, as TF's <c>StackOp</c> outputs it for a non-resource handle.
/// </summary>
internal sealed class StackSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("elem_type", "type"), new("stack_name", "string", Attr.String(""))];

    public const string OpType = "Stack";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["handle: Ref(string)"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF's shape function: a vector of two.</summary>
    public override void Infer(InferContext c) => c.AddOutput(DType.String, new Shape(2));

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var elem = op.GetAttrType("elem_type");
        var baseName = op.GetAttrString("stack_name") is { Length: > 0 } n ? n : op.Name;
        return new LambdaKernel(ctx =>
        {
            var stack = ctx.RunResources.Create(op, serial => new StackResource(elem, $"{baseName}_{serial}", int.MaxValue));
            ctx.RunResources.GetOrCreate(StackResource.Key(StackResource.Container, stack.Name), () => stack);
            var handle = ctx.AllocateOutput(0, DType.String, [2]);
            var parts = handle.Span<byte[]>();
            parts[0] = Encoding.UTF8.GetBytes(StackResource.Container);
            parts[1] = Encoding.UTF8.GetBytes(stack.Name);
        });
    }
}

/// <summary>StackPush: the v1 spelling of StackPushV2 (a <c>Ref(string)</c> handle).</summary>
internal sealed class StackPushSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("swap_memory", "bool", Attr.Bool(false))];

    public const string OpType = "StackPush";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: Ref(string)", "elem: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        StackResource.RequireHandle(c, legacy: true);
        c.AddOutput(c.InputType(1), c.InputShape(1));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new StackPushV2Spec.PushKernel();
}

/// <summary>StackPop: the v1 spelling of StackPopV2 (a <c>Ref(string)</c> handle).</summary>
internal sealed class StackPopSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("elem_type", "type")];

    public const string OpType = "StackPop";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: Ref(string)"];

    protected override string[] OutputArgs => ["elem: elem_type"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        StackResource.RequireHandle(c, legacy: true);
        c.AddOutput(c.AttrType("elem_type"), Shape.Unknown);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => StackPopV2Spec.PopKernel(b.OutputType(0));
}

/// <summary>StackClose: the v1 spelling of StackCloseV2 (a <c>Ref(string)</c> handle).</summary>
internal sealed class StackCloseSpec : OpSpec
{
    public const string OpType = "StackClose";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["handle: Ref(string)"];

    protected override string[] OutputArgs => [];

    public override void Infer(InferContext c) => StackResource.RequireHandle(c, legacy: true);

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx => StackResource.From(ctx).Close());
}

public sealed partial class Graph
{
    /// <summary>
    /// <c>StackV2</c>: a stack of <paramref name="elemType"/> tensors that lives for one
    /// <c>Session.Run</c> (TF's <c>gen_data_flow_ops.stack_v2</c>; the accumulator of while-loop
    /// gradients). <paramref name="maxSize"/> &lt; 0 means unlimited. Returns the resource handle.
    /// </summary>
    public Output StackV2(Output maxSize, DType elemType, string stackName = "", string? name = null) =>
        AddOp(StackV2Spec.OpType, [maxSize], name, null,
            [new("elem_type", Attr.Type(elemType)), new("stack_name", Attr.String(stackName))])[0];

    /// <summary><c>StackPushV2</c>: pushes <paramref name="elem"/> onto the stack <paramref name="handle"/>; returns <paramref name="elem"/>'s value.</summary>
    public Output StackPushV2(Output handle, Output elem, bool swapMemory = false, string? name = null) =>
        AddOp(StackPushV2Spec.OpType, [handle, elem], name, null,
            [new("T", Attr.Type(elem.DType)), new("swap_memory", Attr.Bool(swapMemory))])[0];

    /// <summary>
    /// <c>StackPopV2</c>: pops the top of the stack <paramref name="handle"/> (its elements are
    /// <paramref name="elemType"/>). The op's own shape is unknown; <paramref name="shape"/>, when
    /// given, is set on it as TF's gradient code sets the pushed value's shape (<c>pop.set_shape</c>).
    /// </summary>
    public Output StackPopV2(Output handle, DType elemType, Shape? shape = null, string? name = null)
    {
        var pop = AddOp(StackPopV2Spec.OpType, [handle], name, null, [new("elem_type", Attr.Type(elemType))])[0];
        if (shape is not null) SetShape(pop, shape);
        return pop;
    }

    /// <summary><c>StackCloseV2</c>: closes the stack <paramref name="handle"/>.</summary>
    public Operation StackCloseV2(Output handle, string? name = null) =>
        AddOp(StackCloseV2Spec.OpType, [handle], name);

    /// <summary>
    /// <c>Stack</c> (v1): a stack of <paramref name="elemType"/> tensors for one <c>Session.Run</c>,
    /// unlimited in size; the handle is a two-element string (container, name). Graphs written by
    /// TF 1.0 build their while-loop gradients with it.
    /// </summary>
    public Output StackV1(DType elemType, string stackName = "", string? name = null) =>
        AddOp(StackSpec.OpType, [], name, null,
            [new("elem_type", Attr.Type(elemType)), new("stack_name", Attr.String(stackName))])[0];

    /// <summary><c>StackPush</c> (v1): pushes <paramref name="elem"/> onto the stack <paramref name="handle"/>; returns <paramref name="elem"/>'s value.</summary>
    public Output StackPushV1(Output handle, Output elem, bool swapMemory = false, string? name = null) =>
        AddOp(StackPushSpec.OpType, [handle, elem], name, null,
            [new("T", Attr.Type(elem.DType)), new("swap_memory", Attr.Bool(swapMemory))])[0];

    /// <summary><c>StackPop</c> (v1): pops the top of the stack <paramref name="handle"/> (its elements are <paramref name="elemType"/>).</summary>
    public Output StackPopV1(Output handle, DType elemType, string? name = null) =>
        AddOp(StackPopSpec.OpType, [handle], name, null, [new("elem_type", Attr.Type(elemType))])[0];

    /// <summary><c>StackClose</c> (v1): closes the stack <paramref name="handle"/>.</summary>
    public Operation StackCloseV1(Output handle, string? name = null) =>
        AddOp(StackCloseSpec.OpType, [handle], name);
}
