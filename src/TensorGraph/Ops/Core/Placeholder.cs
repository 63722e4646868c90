using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Placeholder: a value that must be fed (attrs <c>dtype</c>, <c>shape</c> = unknown rank).</summary>
internal sealed class PlaceholderSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("dtype", "type"), new("shape", "shape", Attr.Shape(Shape.Unknown))];

    public const string OpType = "Placeholder";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsPlaceholder => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["output: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.AttrType("dtype"), c.AttrShape("shape"));

    // Plans reject unfed placeholders before running, so this kernel only guards misuse.
    public override OpKernel CreateKernel(KernelBuilder b) =>
        new LambdaKernel(_ => throw new InvalidArgumentException($"You must feed a value for placeholder tensor '{b.Op.Name}'"));
}

/// <summary>PlaceholderWithDefault: the fed value, or <c>input</c> when not fed.</summary>
internal sealed class PlaceholderWithDefaultSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtype", "type"), new("shape", "shape")];

    public const string OpType = "PlaceholderWithDefault";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_IdGrad</c>, as for Identity.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Grad];

    protected override string[] InputArgs => ["input: dtype"];

    protected override string[] OutputArgs => ["output: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var shape = c.AttrShape("shape");
        if (c.InputType(0) != c.AttrType("dtype")) throw c.Error($"Default value has dtype {c.InputType(0).Name()}, expected {c.AttrType("dtype").Name()}");
        if (!shape.IsCompatibleWith(c.InputShape(0)))
            throw c.Error($"Default value shape {c.InputShape(0)} is not compatible with the placeholder shape {shape}");
        c.AddOutput(c.AttrType("dtype"), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new IdentityKernel(forward: true);
}

public sealed partial class Graph
{
    /// <summary>A <c>Placeholder</c> to feed at run time; <paramref name="shape"/> may hold -1 for unknown dims (null = unknown rank).</summary>
    public Output Placeholder(DType dtype, Shape? shape = null, string? name = null) =>
        AddOp(PlaceholderSpec.OpType, [], name, PlaceholderSpec.OpType, [NamedAttr("dtype", Attr.Type(dtype)), NamedAttr("shape", Attr.Shape(shape ?? Shape.Unknown))])[0];

    /// <summary>A <c>PlaceholderWithDefault</c>: <paramref name="input"/> unless fed; <paramref name="shape"/> defaults to the input's.</summary>
    public Output PlaceholderWithDefault(Output input, Shape? shape = null, string? name = null) =>
        AddOp(PlaceholderWithDefaultSpec.OpType, [input], name, PlaceholderWithDefaultSpec.OpType,
            [NamedAttr("dtype", Attr.Type(input.DType)), NamedAttr("shape", Attr.Shape(shape ?? input.Shape))])[0];
}
