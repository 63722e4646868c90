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

    /// <summary>The stack input 0 of the running node refers to.</summary>
    public static StackResource From(OpContext ctx) => RunResources.Resolve<StackResource>(ctx.Input(0), "stack");

    /// <summary>Inference: input 0 must be a resource handle.</summary>
    public static void RequireHandle(InferContext c)
    {
        if (c.InputType(0) != DType.Resource)
            throw c.Error($"Expected a stack handle (resource) as input 0, got {c.InputType(0).Name()} ('{c.Inputs[0].Name}')");
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

    private sealed class PushKernel : OpKernel
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

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var elem = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            var stack = StackResource.From(ctx);
            if (stack.ElemType != elem)
                throw OpContext.Error($"Stack[{stack.Name}] holds {stack.ElemType.Name()} elements, but the pop expects {elem.Name()}");
            // The popped tensor belongs to nobody else now.
            ctx.SetOutput(0, stack.Pop());
        }, OutputKind.External);
    }
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
}
