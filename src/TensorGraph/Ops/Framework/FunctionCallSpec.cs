using TensorGraph.Autodiff;
using TensorGraph.Functions;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph.Ops;

/// <summary>
/// The schema of a direct call: a node whose op type is the name of a function in its graph's
/// library (what TF1's <c>@function.Defun</c> builds). Made per function from its signature
/// (arguments, attrs, statefulness) and never registered: <see cref="Graph"/> resolves an op type
/// it does not find among the registered ops against its library. The call node's attrs bind the
/// function's attrs (such as <c>T</c>).
/// </summary>
internal sealed class FunctionCallSpec : OpSpec
{
    private readonly FunctionDef _function;
    private readonly IReadOnlyList<AttrSpec> _attrs;
    private readonly string[] _inputs;
    private readonly string[] _outputs;
    private readonly bool _stateful;

    public FunctionCallSpec(FunctionDef function)
    {
        _function = function;
        var sig = function.Signature;
        Type = sig.Name;
        _attrs = [.. sig.Attr.Select(a => new AttrSpec(a.Name, a.Type, a.DefaultValue, Minimum: a.HasMinimum ? a.Minimum : null))];
        _inputs = [.. sig.InputArg.Select(Declaration)];
        _outputs = [.. sig.OutputArg.Select(Declaration)];
        // A nested call or an op TensorGraph lacks counts as stateful: nothing may precompute the call.
        _stateful = sig.IsStateful || function.NodeDef.Any(n => !OpRegistry.TryGet(n.Op, out var s) || s.IsStateful);
    }

    /// <summary>The function this spec calls.</summary>
    public FunctionDef Function => _function;

    private static string Declaration(OpDef.Types.ArgDef a)
    {
        var type = a.Type != DataType.DtInvalid ? ArgSpec.TfName(DTypes.FromProto(a.Type)) : a.TypeListAttr.Length > 0 ? a.TypeListAttr : a.TypeAttr;
        return a.NumberAttr.Length > 0 ? $"{a.Name}: {a.NumberAttr} * {type}" : $"{a.Name}: {type}";
    }

    /// <inheritdoc/>
    public override string Type { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<AttrSpec> Attrs => _attrs;

    /// <inheritdoc/>
    protected override string[] InputArgs => _inputs;

    /// <inheritdoc/>
    protected override string[] OutputArgs => _outputs;

    /// <summary>Stateful when the signature says so or the body has a stateful (or unknown) op.</summary>
    public override bool IsStateful => _stateful;

    private NameAttrList Call(IDictionary<string, AttrValue> attrs)
    {
        var f = new NameAttrList { Name = Type };
        foreach (var (k, v) in attrs) if (!k.StartsWith('_')) f.Attr[k] = v;
        return f;
    }

    /// <inheritdoc/>
    public override void Infer(InferContext c) => FunctionCalls.Infer(c, Call(c.Attrs), null);

    /// <inheritdoc/>
    public override OpKernel CreateKernel(KernelBuilder b) => FunctionCalls.CreateKernel(b, Call(b.Op.AttrMap));

    /// <summary>The gradient through the function (its library gradient, else its inlined body).</summary>
    public override Output?[] Gradient(GradContext c) => FunctionCalls.Gradient(c, Call(c.Op.AttrMap));
}
