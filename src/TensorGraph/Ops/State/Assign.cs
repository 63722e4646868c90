using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Assign: stores <c>value</c> into the variable <c>ref</c> and outputs the reference.</summary>
internal sealed class AssignSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("validate_shape", "bool", Attr.Bool(true)), new("use_locking", "bool", Attr.Bool(true))];

    public const string OpType = "Assign";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["ref: Ref(T)", "value: T"];

    protected override string[] OutputArgs => ["output_ref: Ref(T)"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        var r = c.InputShape(0);
        var v = c.InputShape(1);
        bool validate = c.AttrBool("validate_shape");
        if (validate && !r.IsCompatibleWith(v))
            throw c.Error($"Shapes must be equal: the variable '{c.Inputs[0].Name}' has shape {r} but the value has shape {v}");
        c.AddOutput(c.InputType(0), validate ? r.MergeWith(v) : v);
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        new AssignKernel(b.RefInput(0), b.Op.GetAttrBool("validate_shape"), b.InputShape(0));

    private sealed class AssignKernel(VariableSlot slot, bool validate, Shape declared) : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.External;

        public override void Compute(OpContext ctx)
        {
            var v = ctx.Input(1);
            if (validate && !declared.IsCompatibleWith(v.Dims))
                throw new InvalidArgumentException($"Assign requires shapes of both tensors to match. lhs shape= {declared} rhs shape= {Shape.Format(v.Dims)}");
            lock (slot.Sync)
            {
                var cur = slot.Value;
                if (cur is not null && cur.DType == v.DType && cur.Dims.SequenceEqual(v.Dims) && !ReferenceEquals(cur, v))
                    Array.Copy(v.Data, cur.Data, v.Size);
                else if (!ReferenceEquals(cur, v))
                    slot.Value = cur = v.Clone();
                ctx.SetOutput(0, cur!);
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.assign</c>: stores <paramref name="value"/> into <paramref name="variable"/>; the result reads the new value.</summary>
    public Output Assign(Variable variable, Output value, bool validateShape = true, bool useLocking = true, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return Assign(variable.Ref, value, validateShape, useLocking, name);
    }

    /// <summary>Assign to a variable reference (a VariableV2 output).</summary>
    public Output Assign(Output variableRef, Output value, bool validateShape = true, bool useLocking = true, string? name = null) =>
        AddOp(AssignSpec.OpType, [variableRef, value], name, attrs:
            [NamedAttr("T", Attr.Type(variableRef.DType)), NamedAttr("validate_shape", Attr.Bool(validateShape)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];
}
