using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>LeakyRelu: x if x &gt; 0 else alpha·x (<c>tf.nn.leaky_relu</c>); attr alpha = 0.2.</summary>
internal sealed class LeakyReluSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("alpha", "float", Attr.Float(0.2f)), new("T", "type", Attr.Type(DType.Float32))];

    public const string OpType = "LeakyRelu";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.AddOutput(c.InputType(0), c.InputShape(0));
    }

    /// <summary>TF 1.15's <c>_LeakyReluGrad</c>: LeakyReluGrad(grad, x) with the op's alpha.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.LeakyReluGrad(c.Grad, c.X, c.Op.GetAttrFloat("alpha"))];

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        float alpha = b.Op.GetAttrFloat("alpha");
        return b.InputType(0) switch
        {
            DType.Float32 => new LeakyReluKernel<float>(alpha),
            DType.Float64 => new LeakyReluKernel<double>(alpha),
            var t => throw new UnimplementedException($"LeakyRelu has no kernel for {t.Name()}"),
        };
    }

    private sealed class LeakyReluKernel<T>(float alpha) : OpKernel where T : IFloatingPointIeee754<T>
    {
        // TF computes alpha in T from the float attr.
        private readonly T _alpha = T.CreateTruncating(alpha);

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var s = x.Span<T>();
            var d = ctx.AllocateOutput(0, x.DType, x.Dims).Span<T>();
            for (int i = 0; i < d.Length; i++) d[i] = s[i] > T.Zero ? s[i] : s[i] * _alpha;
        }
    }
}

/// <summary>LeakyReluGrad(gradients, features): gradients if features &gt; 0 else alpha·gradients.</summary>
internal sealed class LeakyReluGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("alpha", "float", Attr.Float(0.2f)), new("T", "type", Attr.Type(DType.Float32))];

    public const string OpType = "LeakyReluGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, TypeSets.Float);
        c.AddOutput(c.InputType(0), NnShapes.MergeSame(c, 0, 1));
    }

    /// <summary>TF 1.15's <c>_LeakyReluGradGrad</c>: LeakyReluGrad again for the gradients, zeros for the features.</summary>
    public override Output?[] Gradient(GradContext c) =>
        [c.Graph.LeakyReluGrad(c.Grad, c.Input(1), c.Op.GetAttrFloat("alpha")), NnGradientHelpers.ZerosOfShape(c, c.Input(1))];

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        float alpha = b.Op.GetAttrFloat("alpha");
        return b.InputType(0) switch
        {
            DType.Float32 => new LeakyReluGradKernel<float>(alpha),
            DType.Float64 => new LeakyReluGradKernel<double>(alpha),
            var t => throw new UnimplementedException($"LeakyReluGrad has no kernel for {t.Name()}"),
        };
    }

    private sealed class LeakyReluGradKernel<T>(float alpha) : OpKernel where T : IFloatingPointIeee754<T>
    {
        private readonly T _alpha = T.CreateTruncating(alpha);

        public override void Compute(OpContext ctx)
        {
            var g = ctx.Input(0);
            var f = ctx.Input(1);
            NnShapes.RequireSameDims(g, f, LeakyReluGradSpec.OpType);
            var gs = g.Span<T>();
            var fs = f.Span<T>();
            var d = ctx.AllocateOutput(0, g.DType, g.Dims).Span<T>();
            for (int i = 0; i < d.Length; i++) d[i] = fs[i] > T.Zero ? gs[i] : gs[i] * _alpha;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.leaky_relu</c>: features if &gt; 0 else alpha·features. Integer features are
    /// first cast to float32 (inside a <c>LeakyRelu</c> name scope), as TF does.
    /// </summary>
    public Output LeakyRelu(Output features, float alpha = 0.2f, string? name = null)
    {
        if (!features.DType.IsInteger())
            return AddOp(LeakyReluSpec.OpType, [features], name, LeakyReluSpec.OpType, [NamedAttr("alpha", Attr.Float(alpha)), NamedAttr("T", Attr.Type(features.DType))])[0];
        using var scope = NameScope(name ?? LeakyReluSpec.OpType);
        var exact = CurrentNameScope + "/";
        var cast = Cast(features, DType.Float32);
        return AddOp(LeakyReluSpec.OpType, [cast], exact, null, [NamedAttr("alpha", Attr.Float(alpha)), NamedAttr("T", Attr.Type(DType.Float32))])[0];
    }

    /// <summary>A <c>LeakyReluGrad</c> node (gradient helper of LeakyRelu).</summary>
    public Output LeakyReluGrad(Output gradients, Output features, float alpha = 0.2f, string? name = null) =>
        AddOp(LeakyReluGradSpec.OpType, [gradients, features], name, LeakyReluGradSpec.OpType, [NamedAttr("alpha", Attr.Float(alpha)), NamedAttr("T", Attr.Type(gradients.DType))])[0];
}
