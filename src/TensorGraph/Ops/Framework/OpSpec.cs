using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph.Ops;

/// <summary>
/// An attr of an op schema: TF name, TF attr type and default (null = required). An
/// <paramref name="Optional"/> attr is one newer TensorFlow versions added: it is accepted when a
/// graph has it and never added when it does not, so graphs stay readable by TensorFlow 1.15.
/// The constraints are those of TF's <c>REGISTER_OP</c> and go into the op's <c>OpDef</c>:
/// <paramref name="AllowedTypes"/> for a <c>type</c>/<c>list(type)</c> attr (<c>T: {float, double}</c>),
/// <paramref name="AllowedStrings"/> for a <c>string</c> attr (<c>padding: {'SAME', 'VALID'}</c>) and
/// <paramref name="Minimum"/> for an <c>int</c> attr or the length of a list attr (<c>N: int &gt;= 2</c>).
/// A length attr of a list argument without a declared minimum gets TF's implicit minimum of 1.
/// </summary>
internal sealed record AttrSpec(string Name, string Type, AttrValue? Default = null, bool Optional = false,
    IReadOnlyList<DType>? AllowedTypes = null, IReadOnlyList<string>? AllowedStrings = null, long? Minimum = null);

/// <summary>
/// An input or output argument of an op, in the shape of TF's <c>OpDef.ArgDef</c>: a name and
/// either a fixed <paramref name="Type"/>, a <paramref name="TypeAttr"/> (one tensor, or
/// <paramref name="NumberAttr"/> tensors, of the dtype that attr holds) or a
/// <paramref name="TypeListAttr"/> (one tensor per dtype in that list attr).
/// </summary>
internal sealed record ArgSpec(string Name, DType? Type = null, string? TypeAttr = null, string? NumberAttr = null,
    string? TypeListAttr = null, bool IsRef = false)
{
    /// <summary>True when the argument stands for a variable number of tensors.</summary>
    public bool IsList => NumberAttr is not null || TypeListAttr is not null;

    /// <summary>
    /// Parses TF's <c>REGISTER_OP</c> syntax: <c>"x: T"</c>, <c>"shape: int32"</c>,
    /// <c>"values: N * T"</c>, <c>"ref: Ref(T)"</c>, <c>"components: Tcomponents"</c>. A type name
    /// that is not a dtype names an attr of <paramref name="attrs"/>: a <c>type</c> attr or a
    /// <c>list(type)</c> attr.
    /// </summary>
    public static ArgSpec Parse(string decl, IReadOnlyList<AttrSpec> attrs, string opType)
    {
        int colon = decl.IndexOf(':');
        if (colon <= 0) throw new InternalException($"Op {opType}: bad argument declaration '{decl}'");
        var name = decl[..colon].Trim();
        var rest = decl[(colon + 1)..].Trim();
        bool isRef = false;
        if (rest.StartsWith("Ref(", StringComparison.Ordinal) && rest.EndsWith(')'))
        {
            isRef = true;
            rest = rest[4..^1].Trim();
        }
        string? number = null;
        int star = rest.IndexOf('*');
        if (star >= 0)
        {
            number = rest[..star].Trim();
            rest = rest[(star + 1)..].Trim();
            if (attrs.FirstOrDefault(a => a.Name == number) is not { Type: "int" })
                throw new InternalException($"Op {opType}: argument '{name}' has length attr '{number}', which is not an int attr");
        }
        if (FixedType(rest) is { } fixedType) return new ArgSpec(name, Type: fixedType, NumberAttr: number, IsRef: isRef);
        var attr = attrs.FirstOrDefault(a => a.Name == rest)
            ?? throw new InternalException($"Op {opType}: argument '{name}' has type '{rest}', which is neither a dtype nor an attr");
        return attr.Type switch
        {
            "type" => new ArgSpec(name, TypeAttr: rest, NumberAttr: number, IsRef: isRef),
            "list(type)" when number is null => new ArgSpec(name, TypeListAttr: rest, IsRef: isRef),
            _ => throw new InternalException($"Op {opType}: argument '{name}' has type attr '{rest}' of attr type {attr.Type}"),
        };
    }

    private static DType? FixedType(string name) => name switch
    {
        "float" => DType.Float32,
        "double" => DType.Float64,
        "int32" => DType.Int32,
        "int64" => DType.Int64,
        "int16" => DType.Int16,
        "int8" => DType.Int8,
        "uint8" => DType.UInt8,
        "uint16" => DType.UInt16,
        "bool" => DType.Bool,
        "string" => DType.String,
        "resource" => DType.Resource,
        "variant" => DType.Variant,
        _ => null,
    };

    /// <summary>TF's name for a dtype in OpDef and NodeDef messages (<c>float</c>, <c>int32</c>, <c>float_ref</c>).</summary>
    public static string TfName(DType t, bool isRef = false) => (t switch
    {
        DType.Float32 => "float",
        DType.Float64 => "double",
        _ => t.Name(),
    }) + (isRef ? "_ref" : "");

    /// <summary>How many tensors this argument stands for on a node with <paramref name="attrs"/> (null when an attr it needs is missing or invalid).</summary>
    public int? Count(IDictionary<string, AttrValue> attrs)
    {
        if (NumberAttr is not null)
            return attrs.TryGetValue(NumberAttr, out var n) && n.ValueCase == AttrValue.ValueOneofCase.I && n.I >= 0 && n.I <= int.MaxValue ? (int)n.I : null;
        if (TypeListAttr is not null)
            return attrs.TryGetValue(TypeListAttr, out var l) ? l.List?.Type.Count ?? 0 : null;
        return 1;
    }

    /// <summary>The dtype names this argument expects on a node with <paramref name="attrs"/>, TF-style (an attr's name when unknown).</summary>
    public IEnumerable<string> TypeNames(IDictionary<string, AttrValue> attrs)
    {
        if (TypeListAttr is not null)
        {
            if (attrs.TryGetValue(TypeListAttr, out var l) && l.List is { } list)
                foreach (var t in list.Type) yield return TfName((DType)(int)t, IsRef);
            yield break;
        }
        string one = Type is { } fixedType ? TfName(fixedType, IsRef)
            : attrs.TryGetValue(TypeAttr!, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Type && Enum.IsDefined((DType)(int)v.Type)
                ? TfName((DType)(int)v.Type, IsRef) : TypeAttr!;
        for (int i = 0, n = Count(attrs) ?? 1; i < n; i++) yield return one;
    }
}

/// <summary>
/// One op: its schema (TF name, attrs with defaults, input and output arguments), build-time
/// shape/dtype inference and the CPU kernel factory. Subclasses live one per file under
/// Ops/&lt;Family&gt;/ and are found by <see cref="OpRegistry"/>.
/// </summary>
internal abstract class OpSpec
{
    private IReadOnlyList<ArgSpec>? _inputs, _outputs;

    /// <summary>TensorFlow op type name.</summary>
    public abstract string Type { get; }

    /// <summary>Attrs with TF names and defaults.</summary>
    public virtual IReadOnlyList<AttrSpec> Attrs => [];

    /// <summary>
    /// The input arguments in TF's <c>REGISTER_OP</c> syntax and order (<c>"x: T"</c>,
    /// <c>"values: N * T"</c>, <c>"ref: Ref(T)"</c>); parsed once into <see cref="Inputs"/>.
    /// The number of inputs a node must have follows from them.
    /// </summary>
    protected abstract string[] InputArgs { get; }

    /// <summary>The output arguments, in the same syntax; parsed once into <see cref="Outputs"/>.</summary>
    protected abstract string[] OutputArgs { get; }

    /// <summary>The declared input arguments.</summary>
    public IReadOnlyList<ArgSpec> Inputs => _inputs ??= [.. InputArgs.Select(d => ArgSpec.Parse(d, Attrs, Type))];

    /// <summary>The declared output arguments.</summary>
    public IReadOnlyList<ArgSpec> Outputs => _outputs ??= [.. OutputArgs.Select(d => ArgSpec.Parse(d, Attrs, Type))];

    /// <summary>
    /// The dtypes a <c>type</c> attr allows when its <see cref="AttrSpec"/> declares none: a base
    /// class that checks dtypes itself (<see cref="UnaryOpSpec"/>, <see cref="BinaryOpSpec"/>)
    /// supplies its set here, so a subclass that redeclares the attr keeps the constraint.
    /// </summary>
    protected internal virtual IReadOnlyList<DType>? ImpliedAllowedTypes(string attr) => null;

    /// <summary>
    /// Stateful ops (variables, random, I/O): exported as <c>is_stateful</c> in the op's OpDef; a
    /// pass that merges or precomputes nodes must leave them alone.
    /// </summary>
    public virtual bool IsStateful => false;

    /// <summary>
    /// The gradient of the op, declared beside it (TF's <c>@ops.RegisterGradient</c>): one entry
    /// per data input, null where that input gets no gradient. Runs inside the
    /// <c>gradients/&lt;op&gt;_grad</c> name scope. An op that neither overrides this nor sets
    /// <see cref="NotDifferentiable"/> has no gradient, which a test flags.
    /// </summary>
    public virtual Output?[] Gradient(Autodiff.GradContext c) =>
        throw new InternalException($"Op {Type} declares no gradient");

    /// <summary>TF's <c>ops.NotDifferentiable</c>: the op's inputs get no gradient (and no error).</summary>
    public virtual bool NotDifferentiable => false;

    /// <summary>True when the op type overrides <see cref="Gradient"/>.</summary>
    public bool HasGradient => _hasGradient ??=
        GetType().GetMethod(nameof(Gradient), [typeof(Autodiff.GradContext)])!.DeclaringType != typeof(OpSpec);

    private bool? _hasGradient;

    /// <summary>Role: a value the caller feeds (Placeholder); a plan records where it is fed from.</summary>
    public virtual bool IsPlaceholder => false;

    /// <summary>Role: a ref variable whose buffer lives in the session's variable store (VariableV2).</summary>
    public virtual bool IsVariable => false;

    /// <summary>
    /// Role: a node kept only as a record — an imported node whose op type TensorGraph does not
    /// implement, or one that could not be built because it reads such a node. Null for every
    /// op that runs; a plan that needs an inert node fails before anything runs, naming it.
    /// </summary>
    public virtual InertNode? Inert => null;

    /// <summary>Role in TF's dataflow control flow (tf.cond and tf.while_loop frames), or None.</summary>
    public virtual ControlFlowRole ControlFlow => ControlFlowRole.None;

    /// <summary>Input indices that take a reference (mutable variable) rather than a value (declared <c>Ref(T)</c>).</summary>
    public bool IsRefInput(int input) => IsRefArg(Inputs, input);

    /// <summary>True for outputs that are references to a variable's buffer (declared <c>Ref(T)</c>).</summary>
    public bool IsRefOutput(int output) => IsRefArg(Outputs, output);

    // Ref arguments come before any list argument in every op, so positions map one to one up to the first list.
    private static bool IsRefArg(IReadOnlyList<ArgSpec> args, int index)
    {
        for (int k = 0; k < args.Count; k++)
        {
            if (args[k].IsList) return false;
            if (k == index) return args[k].IsRef;
        }
        return false;
    }

    /// <summary>
    /// The number of tensors the arguments stand for on a node with <paramref name="attrs"/>, or
    /// null when a list length attr is missing or invalid.
    /// </summary>
    public static int? Arity(IReadOnlyList<ArgSpec> args, IDictionary<string, AttrValue> attrs)
    {
        int total = 0;
        foreach (var a in args)
        {
            if (a.Count(attrs) is not { } n) return null;
            total += n;
        }
        return total;
    }

    /// <summary>Sets output dtypes and shapes from inputs and attrs; throws on invalid inputs.</summary>
    public abstract void Infer(InferContext c);

    /// <summary>Creates the CPU kernel for one node (called once per execution state).</summary>
    public abstract OpKernel CreateKernel(KernelBuilder b);

    /// <summary>Role: the part the op can play in a plan-time fusion; plan passes match this, never op names.</summary>
    public virtual FusionRole Fusion => FusionRole.None;
}

/// <summary>
/// The part an op can play in a plan-time fusion (TF grappler's remapper patterns): a plan pass
/// (<see cref="Runtime.PlanPass"/>) matches chains of these roles and runs one fused kernel in
/// their place, while the graph keeps TF's ops.
/// </summary>
internal enum FusionRole
{
    /// <summary>Not part of any fusion.</summary>
    None,
    /// <summary>MatMul: a rank-2 matrix product (attrs <c>transpose_a</c>, <c>transpose_b</c>), the head of a dense chain.</summary>
    MatMul,
    /// <summary>BiasAdd: input 0 plus the rank-1 input 1 along the last dimension.</summary>
    BiasAdd,
    /// <summary>Relu: max(x, 0) elementwise, an activation a fused kernel can apply in place.</summary>
    Relu,
    /// <summary>Conv2D: a 2-D convolution (attrs strides, padding, dilations, data_format), the head of a convolution chain.</summary>
    Conv2D,
}

/// <summary>The part an op plays in TF's dataflow control flow; the executor asks this, never op names.</summary>
internal enum ControlFlowRole
{
    /// <summary>An ordinary op.</summary>
    None,
    /// <summary>Switch/RefSwitch: forwards its data to the output its predicate selects; the other is dead.</summary>
    Switch,
    /// <summary>Merge/RefMerge: forwards the first live input.</summary>
    Merge,
    /// <summary>Enter/RefEnter: moves a value into a while-loop frame.</summary>
    Enter,
    /// <summary>Exit/RefExit: moves a value out of a while-loop frame.</summary>
    Exit,
    /// <summary>NextIteration/RefNextIteration: carries a value to the next iteration.</summary>
    NextIteration,
    /// <summary>LoopCond: the loop predicate.</summary>
    LoopCond,
    /// <summary>
    /// ControlTrigger: a no-op that runs and counts as live even when its inputs are dead (TF's
    /// <c>is_control_trigger</c>), so it can join control edges from both branches or from every
    /// iteration (the <c>f_sync</c>/<c>b_sync</c> nodes of loop gradients).
    /// </summary>
    ControlTrigger,
}

/// <summary>What build-time inference sees: inputs, attrs, and where it records outputs.</summary>
internal sealed class InferContext
{
    private readonly List<(DType, Shape)> _outputs = [];

    public InferContext(Graph graph, string name, string type, Output[] inputs, IDictionary<string, AttrValue> attrs)
    {
        Graph = graph; Name = name; Type = type; Inputs = inputs; Attrs = attrs;
    }

    public Graph Graph { get; }
    public string Name { get; }
    public string Type { get; }
    public Output[] Inputs { get; }
    public IDictionary<string, AttrValue> Attrs { get; }
    public int NumInputs => Inputs.Length;

    internal IReadOnlyList<(DType Type, Shape Shape)> Outputs => _outputs;

    public DType InputType(int i) => Inputs[i].DType;
    public Shape InputShape(int i) => Inputs[i].Shape;

    public void AddOutput(DType type, Shape shape) => _outputs.Add((type, shape));

    public AttrValue Attr(string name) =>
        Attrs.TryGetValue(name, out var v) ? v : throw new InvalidArgumentException($"Op '{Name}' ({Type}) is missing required attr '{name}'");

    public DType AttrType(string name) => DTypes.FromProto(Attr(name).Type);
    public long AttrInt(string name) => Attr(name).I;
    public bool AttrBool(string name) => Attr(name).B;
    public Shape AttrShape(string name) => Shape.FromProto(Attr(name).Shape ?? new TensorShapeProto { UnknownRank = true });

    /// <summary>The value of input <paramref name="i"/> when it is known at build time (a Const), else null.</summary>
    public Tensor? ConstantInput(int i) => Graph.TryConstantValue(Inputs[i]);

    /// <summary>
    /// What build time knows of the shape that 1-D integer input <paramref name="i"/> describes:
    /// known dims where a constant, a Shape, or a Pack/ConcatV2 of constants fixes them (TF's
    /// <c>constant_value_as_shape</c>), unknown elsewhere.
    /// </summary>
    public Shape PartialShapeInput(int i) => Graph.PartialShapeValue(Inputs[i]);

    /// <summary>
    /// The dimensions held by a constant integer-vector input (a shape argument), validated like
    /// <see cref="Tensor.ReadDimensions"/>; null when the input is not known at build time.
    /// </summary>
    public int[]? ConstantDims(int i, string what)
    {
        if (ConstantInput(i) is not { } v) return null;
        var d = new int[v.Size];
        v.ReadDimensions(d, what);
        return d;
    }

    /// <summary>Fails inference with an InvalidArgument error (the graph adds the node and source line).</summary>
    public InvalidArgumentException Error(string message) => new(message);

    /// <summary>Requires the dtype of input <paramref name="i"/> to be one of <paramref name="allowed"/>.</summary>
    public void RequireType(int i, params DType[] allowed)
    {
        var t = InputType(i);
        if (Array.IndexOf(allowed, t) < 0)
            throw Error($"Input {i} ('{Inputs[i].Name}') has dtype {t.Name()}, which {Type} does not accept (allowed: {string.Join(", ", allowed.Select(a => a.Name()))})");
    }

    /// <summary>Requires inputs <paramref name="a"/> and <paramref name="b"/> to have the same dtype.</summary>
    public void RequireSameType(int a, int b)
    {
        if (InputType(a) != InputType(b))
            throw Error($"{Type} needs inputs of the same dtype, got {InputType(a).Name()} ('{Inputs[a].Name}') and {InputType(b).Name()} ('{Inputs[b].Name}')");
    }
}
