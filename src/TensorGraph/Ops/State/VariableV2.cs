using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>VariableV2: a mutable tensor kept in the session; its output is a reference.</summary>
internal sealed class VariableV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("shape", "shape"), new("dtype", "type"),
        new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
    ];

    public const string OpType = "VariableV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsVariable => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["ref: Ref(dtype)"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c) => c.AddOutput(c.AttrType("dtype"), c.AttrShape("shape"));

    public override OpKernel CreateKernel(KernelBuilder b) => new VariableKernel(b.Session.Variables.Get(b.Op));
}

/// <summary>Variable (legacy v1 spelling of VariableV2); a scalar shape attr means unknown.</summary>
internal sealed class VariableSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("shape", "shape"), new("dtype", "type"),
        new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
    ];

    public const string OpType = "Variable";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsVariable => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["ref: Ref(dtype)"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        var s = c.AttrShape("shape");
        c.AddOutput(c.AttrType("dtype"), s.Rank == 0 ? Shape.Unknown : s);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new VariableKernel(b.Session.Variables.Get(b.Op));
}

/// <summary>Outputs the variable's current value (null until initialized; readers then fail).</summary>
internal sealed class VariableKernel(VariableSlot slot) : OpKernel
{
    public override OutputKind GetOutputKind(int output) => OutputKind.External;

    public override void Compute(OpContext ctx) => ctx.SetOutput(0, slot.Value!);
}
