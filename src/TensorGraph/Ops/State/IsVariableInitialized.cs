using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// IsVariableInitialized: whether a ref variable (VariableV2) holds a value. It reads the
/// variable's slot, never its value, so an uninitialized variable gives false instead of failing
/// (TF's <c>tf.is_variable_initialized</c>, what <c>report_uninitialized_variables</c> builds on).
/// </summary>
internal sealed class IsVariableInitializedSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtype", "type")];

    public const string OpType = "IsVariableInitialized";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["ref: Ref(dtype)"];

    protected override string[] OutputArgs => ["is_initialized: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        if (c.AttrType("dtype") != c.InputType(0))
            throw c.Error($"dtype {c.AttrType("dtype").Name()} does not match the variable's dtype {c.InputType(0).Name()}");
        c.AddOutput(DType.Bool, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var slot = b.RefInput(0);
        return new LambdaKernel(ctx => ctx.AllocateOutput(0, DType.Bool, []).Span<bool>()[0] = slot.Value is not null);
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.is_variable_initialized(variable)</c>: a scalar bool, true once the variable has a value.</summary>
    public Output IsVariableInitialized(Variable variable, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return IsVariableInitialized(variable.Ref, name);
    }

    /// <summary>IsVariableInitialized on a variable reference (a VariableV2 output).</summary>
    public Output IsVariableInitialized(Output variableRef, string? name = null) =>
        AddOp(IsVariableInitializedSpec.OpType, [variableRef], name, attrs: [NamedAttr("dtype", Attr.Type(variableRef.DType))])[0];
}
