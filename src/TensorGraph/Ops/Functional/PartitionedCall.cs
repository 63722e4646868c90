using TensorGraph.Autodiff;
using TensorGraph.Functions;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// The schema PartitionedCall and StatefulPartitionedCall share (TF's functional_ops.cc): call
/// function <c>f</c> of the graph's library on <c>args</c> (dtypes <c>Tin</c>) giving <c>output</c>
/// (dtypes <c>Tout</c>). <c>config</c>, <c>config_proto</c> and <c>executor_type</c> are kept for
/// export and do not change how the body runs here.
/// </summary>
internal abstract class PartitionedCallSpecBase : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("Tin", "list(type)", Minimum: 0), new("Tout", "list(type)", Minimum: 0), new("f", "func"),
        new("config", "string", Attr.String("")), new("config_proto", "string", Attr.String("")), new("executor_type", "string", Attr.String("")),
    ];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["args: Tin"];

    protected override string[] OutputArgs => ["output: Tout"];

    private static NameAttrList Function(IDictionary<string, AttrValue> attrs) =>
        attrs.TryGetValue("f", out var f) && f.Func is { } func ? func : throw new InvalidArgumentException("Attr 'f' must name a function");

    public override void Infer(InferContext c) =>
        FunctionCalls.Infer(c, Function(c.Attrs), [.. (c.Attr("Tout").List?.Type ?? []).Select(DTypes.FromProto)]);

    public override OpKernel CreateKernel(KernelBuilder b) => FunctionCalls.CreateKernel(b, Function(b.Op.AttrMap));

    /// <summary>The gradient through the called function (its library gradient, else its inlined body).</summary>
    public override Output?[] Gradient(GradContext c) => FunctionCalls.Gradient(c, Function(c.Op.AttrMap));
}

/// <summary>PartitionedCall: a call of a function without side effects.</summary>
internal sealed class PartitionedCallSpec : PartitionedCallSpecBase
{
    public const string OpType = "PartitionedCall";

    public override string Type => OpType;
}

/// <summary>StatefulPartitionedCall: a call of a function that may have side effects (runs once per step, never pruned as a constant).</summary>
internal sealed class StatefulPartitionedCallSpec : PartitionedCallSpecBase
{
    public const string OpType = "StatefulPartitionedCall";

    public override string Type => OpType;

    public override bool IsStateful => true;
}

public sealed partial class Graph
{
    /// <summary>
    /// A <c>PartitionedCall</c> of library function <paramref name="f"/> on <paramref name="args"/>
    /// returning tensors of <paramref name="tout"/> (<c>tf.raw_ops.PartitionedCall</c>).
    /// </summary>
    public Output[] PartitionedCall(Output[] args, NameAttrList f, DType[] tout, string? name = null) =>
        Call(PartitionedCallSpec.OpType, args, f, tout, name);

    /// <summary>A <c>StatefulPartitionedCall</c> of library function <paramref name="f"/> (see <see cref="PartitionedCall"/>).</summary>
    public Output[] StatefulPartitionedCall(Output[] args, NameAttrList f, DType[] tout, string? name = null) =>
        Call(StatefulPartitionedCallSpec.OpType, args, f, tout, name);

    private Output[] Call(string type, Output[] args, NameAttrList f, DType[] tout, string? name)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(tout);
        var op = AddOp(type, args, name, attrs:
        [
            new("Tin", Attr.Types(args.Select(a => a.DType))), new("Tout", Attr.Types(tout)), new("f", new AttrValue { Func = f.Clone() }),
        ]);
        return op.Outputs;
    }
}
