using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SoftmaxCrossEntropyWithLogits(features [batch, classes], labels [batch, classes]) →
/// loss [batch] = −Σ labels·log_softmax(features), backprop = softmax(features) − labels.
/// </summary>
internal sealed class SoftmaxCrossEntropyWithLogitsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "SoftmaxCrossEntropyWithLogits";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T", "labels: T"];

    protected override string[] OutputArgs => ["loss: T", "backprop: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.RequireSameType(0, 1);
        var f = c.InputShape(0);
        var l = c.InputShape(1);
        if (f.IsRankKnown && f.Rank != 2) throw c.Error($"logits must be 2-dimensional, got shape {f}");
        if (l.IsRankKnown && l.Rank != 2) throw c.Error($"labels must be 2-dimensional, got shape {l}");
        if (!f.IsCompatibleWith(l)) throw c.Error($"logits and labels must be the same size: logits_size={f} labels_size={l}");
        var s = f.MergeWith(l);
        c.AddOutput(c.InputType(0), new Shape(s.IsRankKnown ? s[0] : -1));
        c.AddOutput(c.InputType(0), s.IsRankKnown ? s : Shape.UnknownOfRank(2));
    }

    /// <summary>
    /// TF 1.15's <c>_SoftmaxCrossEntropyWithLogitsGrad</c>: grad_loss · backprop for the logits,
    /// plus the second-order term when the backprop output has a gradient of its own.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var gradLoss = c.Grads[0]!.Value;
        var gradGrad = c.Grads[1];
        var logits = c.X;
        var grad = CrossEntropyGradients.BroadcastMul(g, gradLoss, c.Out(1));
        if (gradGrad is { } gg && !CrossEntropyGradients.IsZerosFor(gg, c.Op, 1))
        {
            var softmax = g.Softmax(logits);
            // (grad_grad - sum(grad_grad * softmax, -1, keepdims)) * softmax
            var dot = g.ReduceSum(g.Multiply(gg, softmax), [-1], keepDims: true);
            grad = g.AddV2(grad, g.Multiply(g.Subtract(gg, dot), softmax));
        }
        return [grad, CrossEntropyGradients.BroadcastMul(g, gradLoss, g.Negative(g.LogSoftmax(logits)))];
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        b.InputType(0) == DType.Float32 ? new Kernel<float>() : new Kernel<double>();

    /// <summary>Row by row; many rows split into runs of whole rows across the GEMM pool (each row's bits unchanged).</summary>
    private sealed class Kernel<T> : OpKernel, IParallelParts where T : IFloatingPointIeee754<T>
    {
        // The call in flight while it runs in parts.
        private Tensor? _f, _l, _loss, _back;

        public override void Compute(OpContext ctx)
        {
            var f = ctx.Input(0);
            var l = ctx.Input(1);
            if (f.Rank != 2 || !f.Dims.SequenceEqual(l.Dims))
                throw new InvalidArgumentException($"logits and labels must be same size: logits_size={Shape.Format(f.Dims)} labels_size={Shape.Format(l.Dims)}");
            int batch = f.Dims[0], classes = f.Dims[1];
            Span<int> ld = [batch];
            (_f, _l) = (f, l);
            _loss = ctx.AllocateOutput(0, f.DType, ld);
            _back = ctx.AllocateOutput(1, f.DType, f.Dims);
            try
            {
                CrossEntropyRows.Run(this, batch, classes);
            }
            finally
            {
                (_f, _l, _loss, _back) = (null, null, null, null);
            }
        }

        public void RunPart(int part, int parts)
        {
            var loss = _loss!.Span<T>();
            var back = _back!.Span<T>();
            var x = _f!.Span<T>();
            var y = _l!.Span<T>();
            int classes = _f.Dims[1];
            var (r0, r1) = ParallelParts.Range(_f.Dims[0], part, parts);
            for (int i = r0; i < r1; i++)
            {
                var row = back.Slice(i * classes, classes);
                var lab = y.Slice(i * classes, classes);
                SoftmaxMath.LogSoftmax<T>(x.Slice(i * classes, classes), row);
                // loss = -sum(labels * log_softmax); backprop = exp(log_softmax) - labels.
                T s = T.Zero;
                for (int j = 0; j < classes; j++)
                {
                    if (!T.IsZero(lab[j])) s -= lab[j] * row[j];
                    row[j] = T.Exp(row[j]) - lab[j];
                }
                loss[i] = s;
            }
        }
    }
}

/// <summary>
/// SparseSoftmaxCrossEntropyWithLogits(features [batch, classes], labels [batch] int32/int64) →
/// loss [batch] = logsumexp(features) − features[label], backprop = softmax − onehot(label).
/// A label outside [0, classes) is an InvalidArgument error.
/// </summary>
internal sealed class SparseSoftmaxCrossEntropyWithLogitsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Tlabels", "type", Attr.Type(DType.Int64))];

    public const string OpType = "SparseSoftmaxCrossEntropyWithLogits";

    public override string Type => OpType;

    protected override string[] InputArgs => ["features: T", "labels: Tlabels"];

    protected override string[] OutputArgs => ["loss: T", "backprop: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.RequireType(1, TypeSets.Int);
        var f = c.InputShape(0);
        var l = c.InputShape(1);
        if (f.IsRankKnown && f.Rank != 2) throw c.Error($"logits must be 2-D, but got shape {f}");
        if (l.IsRankKnown && l.Rank != 1) throw c.Error($"labels must be 1-D, but got shape {l}");
        int batch = f.IsRankKnown ? f[0] : -1;
        if (l.IsRankKnown && l[0] >= 0)
        {
            if (batch >= 0 && batch != l[0]) throw c.Error($"logits and labels must have the same first dimension, got logits shape {f} and labels shape {l}");
            batch = l[0];
        }
        c.AddOutput(c.InputType(0), new Shape(batch));
        c.AddOutput(c.InputType(0), new Shape(batch, f.IsRankKnown ? f[1] : -1));
    }

    /// <summary>TF 1.15's <c>_SparseSoftmaxCrossEntropyWithLogitsGrad</c>: grad_loss · backprop; the labels get none.</summary>
    public override Output?[] Gradient(GradContext c) => [CrossEntropyGradients.BroadcastMul(c.Graph, c.Grads[0]!.Value, c.Out(1)), null];

    public override OpKernel CreateKernel(KernelBuilder b) =>
        b.InputType(0) == DType.Float32 ? new Kernel<float>() : new Kernel<double>();

    /// <summary>Labels checked first, then row by row; many rows split into runs of whole rows across the GEMM pool.</summary>
    private sealed class Kernel<T> : OpKernel, IParallelParts where T : IFloatingPointIeee754<T>
    {
        // The call in flight while it runs in parts.
        private Tensor? _f, _l, _loss, _back;

        public override void Compute(OpContext ctx)
        {
            var f = ctx.Input(0);
            var l = ctx.Input(1);
            if (f.Rank != 2 || l.Rank != 1 || l.Size != f.Dims[0])
                throw new InvalidArgumentException($"logits and labels must have the same first dimension, got logits shape {Shape.Format(f.Dims)} and labels shape {Shape.Format(l.Dims)}");
            int batch = f.Dims[0], classes = f.Dims[1];
            for (int i = 0; i < batch; i++)
            {
                long label = l.GetInt64(i);
                if (label < 0 || label >= classes)
                    throw new InvalidArgumentException($"Received a label value of {label} which is outside the valid range of [0, {classes}).  Label values: row {i}");
            }
            Span<int> ld = [batch];
            (_f, _l) = (f, l);
            _loss = ctx.AllocateOutput(0, f.DType, ld);
            _back = ctx.AllocateOutput(1, f.DType, f.Dims);
            try
            {
                CrossEntropyRows.Run(this, batch, classes);
            }
            finally
            {
                (_f, _l, _loss, _back) = (null, null, null, null);
            }
        }

        public void RunPart(int part, int parts)
        {
            var loss = _loss!.Span<T>();
            var back = _back!.Span<T>();
            var x = _f!.Span<T>();
            int classes = _f.Dims[1];
            var (r0, r1) = ParallelParts.Range(_f.Dims[0], part, parts);
            for (int i = r0; i < r1; i++)
            {
                int label = (int)_l!.GetInt64(i);
                var row = back.Slice(i * classes, classes);
                SoftmaxMath.LogSoftmax<T>(x.Slice(i * classes, classes), row);
                loss[i] = -row[label];
                TensorPrimitives.Exp(row, row);
                row[label] -= T.One;
            }
        }
    }
}

/// <summary>How the two cross-entropy kernels run their rows: in runs of whole rows across cores when there are many.</summary>
file static class CrossEntropyRows
{
    public static void Run(IParallelParts rows, int batch, int classes)
    {
        int parts = classes == 0 ? 1 : ElementwiseParts.ForRows(batch, classes);
        if (parts > 1)
        {
            ElementwiseParts.Count();
            ParallelParts.Run(rows, parts);
        }
        else rows.RunPart(0, 1);
    }
}

/// <summary>Pieces of TF 1.15's cross-entropy gradients shared by the two ops of this file.</summary>
file static class CrossEntropyGradients
{
    /// <summary>TF's _BroadcastMul: vec[..., None] * mat.</summary>
    public static Output BroadcastMul(Graph g, Output vec, Output mat) => g.Multiply(g.Reshape(vec, [-1, 1]), mat);

    /// <summary>True when <paramref name="t"/> is <c>ZerosLike</c> of output <paramref name="index"/> of <paramref name="op"/> (TF's IsZero check).</summary>
    public static bool IsZerosFor(Output t, Operation op, int index) =>
        t.Op.Type == ZerosLikeSpec.OpType && t.Op.Inputs[0].Op == op && t.Op.Inputs[0].Index == index;
}

public sealed partial class Graph
{
    /// <summary>The two outputs of a softmax cross-entropy op.</summary>
    public readonly record struct CrossEntropy(Output Loss, Output Backprop);

    /// <summary>The raw <c>SoftmaxCrossEntropyWithLogits</c> op (loss and backprop outputs).</summary>
    public CrossEntropy SoftmaxCrossEntropyWithLogitsOp(Output features, Output labels, string? name = null)
    {
        var op = AddOp(SoftmaxCrossEntropyWithLogitsSpec.OpType, [features, labels], name, SoftmaxCrossEntropyWithLogitsSpec.OpType, [NamedAttr("T", Attr.Type(features.DType))]);
        return new CrossEntropy(op[0], op[1]);
    }

    /// <summary>The raw <c>SparseSoftmaxCrossEntropyWithLogits</c> op (loss and backprop outputs).</summary>
    public CrossEntropy SparseSoftmaxCrossEntropyWithLogitsOp(Output features, Output labels, string? name = null)
    {
        var op = AddOp(SparseSoftmaxCrossEntropyWithLogitsSpec.OpType, [features, labels], name, SparseSoftmaxCrossEntropyWithLogitsSpec.OpType,
            [NamedAttr("T", Attr.Type(features.DType)), NamedAttr("Tlabels", Attr.Type(labels.DType))]);
        return new CrossEntropy(op[0], op[1]);
    }

    /// <summary>
    /// TF's <c>tf.nn.softmax_cross_entropy_with_logits_v2(labels, logits)</c>: per-example loss
    /// (labels receive gradients too), in a <c>softmax_cross_entropy_with_logits</c> scope.
    /// </summary>
    public Output SoftmaxCrossEntropyWithLogitsV2(Output labels, Output logits, string? name = null)
    {
        using var scope = NameScope(name ?? "softmax_cross_entropy_with_logits");
        var exact = CurrentNameScope + "/";
        return SoftmaxCrossEntropyWithLogitsOp(logits, labels, exact).Loss;
    }

    /// <summary>
    /// TF1's <c>tf.nn.softmax_cross_entropy_with_logits(labels, logits)</c>: per-example loss with
    /// no gradient into <paramref name="labels"/> (TF routes them through a <c>StopGradient</c>
    /// named <c>labels_stop_gradient</c> in a <c>softmax_cross_entropy_with_logits_sg</c> scope,
    /// then calls the v2 op in that scope). Use <see cref="SoftmaxCrossEntropyWithLogitsV2"/> when
    /// the labels are to be trained.
    /// </summary>
    public Output SoftmaxCrossEntropyWithLogits(Output labels, Output logits, string? name = null)
    {
        using var scope = NameScope(name ?? "softmax_cross_entropy_with_logits_sg");
        var exact = CurrentNameScope + "/";
        var stopped = StopGradient(labels, name: "labels_stop_gradient");
        return SoftmaxCrossEntropyWithLogitsOp(logits, stopped, exact).Loss;
    }

    /// <summary>
    /// TF's <c>tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)</c>: per-example
    /// loss for integer class labels, node <c>SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits</c>.
    /// </summary>
    public Output SparseSoftmaxCrossEntropyWithLogits(Output labels, Output logits, string? name = null)
    {
        using var scope = NameScope(name ?? SparseSoftmaxCrossEntropyWithLogitsSpec.OpType);
        return SparseSoftmaxCrossEntropyWithLogitsOp(logits, labels).Loss;
    }
}
