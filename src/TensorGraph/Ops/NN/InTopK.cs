using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// InTopKV2(predictions [batch, classes], targets [batch], k): whether each target is among the k
/// largest predictions (ties at the boundary count as in; a non-finite prediction or an
/// out-of-range target gives false, as TF's kernel).
/// </summary>
internal sealed class InTopKV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type", Attr.Type(DType.Int32))];

    public const string OpType = "InTopKV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["predictions: float", "targets: T", "k: T"];

    protected override string[] OutputArgs => ["precision: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool NotDifferentiable => true;

    public override void Infer(InferContext c) => InTopK.Infer(c, true);

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx => InTopK.Compute(ctx, ctx.Input(2).ScalarInt64("k")));
}

/// <summary>InTopK: like InTopKV2 with k as an attr.</summary>
internal sealed class InTopKSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("k", "int"), new("T", "type", Attr.Type(DType.Int32))];

    public const string OpType = "InTopK";

    public override string Type => OpType;

    protected override string[] InputArgs => ["predictions: float", "targets: T"];

    protected override string[] OutputArgs => ["precision: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool NotDifferentiable => true;

    public override void Infer(InferContext c) => InTopK.Infer(c, false);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        long k = b.Op.GetAttrInt("k");
        return new LambdaKernel(ctx => InTopK.Compute(ctx, k));
    }
}

internal static class InTopK
{
    public static void Infer(InferContext c, bool v2)
    {
        c.RequireType(0, DType.Float32);
        c.RequireType(1, TypeSets.Int);
        if (v2) c.RequireSameType(1, 2);
        var p = c.InputShape(0);
        var t = c.InputShape(1);
        if (p.IsRankKnown && p.Rank != 2) throw c.Error($"predictions must be 2-dimensional, got {p}");
        if (t.IsRankKnown && t.Rank != 1) throw c.Error($"targets must be 1-dimensional, got {t}");
        if (v2 && c.InputShape(2).IsRankKnown && c.InputShape(2).Rank != 0) throw c.Error("k must be a scalar");
        int batch = p.IsRankKnown ? p[0] : -1;
        if (t.IsRankKnown && t[0] >= 0)
        {
            if (batch >= 0 && batch != t[0]) throw c.Error($"First dimension of predictions {batch} must match length of targets {t[0]}");
            batch = t[0];
        }
        c.AddOutput(DType.Bool, new Shape(batch));
    }

    public static void Compute(OpContext ctx, long k)
    {
        var p = ctx.Input(0);
        var t = ctx.Input(1);
        if (p.Rank != 2 || t.Rank != 1 || t.Size != p.Dims[0])
            throw new InvalidArgumentException($"First dimension of predictions {Shape.Format(p.Dims)} must match length of targets {Shape.Format(t.Dims)}");
        int batch = p.Dims[0], classes = p.Dims[1];
        Span<int> od = [batch];
        var o = ctx.AllocateOutput(0, DType.Bool, od).Span<bool>();
        var pred = p.Span<float>();
        for (int i = 0; i < batch; i++)
        {
            long target = t.GetInt64(i);
            if (target < 0 || target >= classes || !float.IsFinite(pred[i * classes + (int)target])) { o[i] = false; continue; }
            float v = pred[i * classes + (int)target];
            int more = 0;
            bool cannotSay = false;
            var row = pred.Slice(i * classes, classes);
            for (int j = 0; j < classes; j++)
            {
                // Like TF's kernel: a non-finite prediction anywhere in the row means "cannot say".
                if (!float.IsFinite(row[j])) { cannotSay = true; break; }
                if (row[j] > v) more++;
            }
            o[i] = !cannotSay && more < k;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.nn.in_top_k(predictions, targets, k)</c>: an InTopKV2 node.</summary>
    public Output InTopK(Output predictions, Output targets, int k, string? name = null)
    {
        using var scope = NameScope(name ?? "in_top_k");
        var exact = CurrentNameScope + "/";
        var kt = Constant(ConvertLiteral(k, targets.DType), name: "k");
        return AddOp(InTopKV2Spec.OpType, [predictions, targets, kt], exact, attrs: [NamedAttr("T", Attr.Type(targets.DType))])[0];
    }
}
