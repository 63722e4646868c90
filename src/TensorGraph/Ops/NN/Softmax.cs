using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Softmax / LogSoftmax over the last dimension (numerically stable).</summary>
internal abstract class SoftmaxLikeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["logits: T"];

    protected abstract bool Log { get; }

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank < 1) throw c.Error($"logits must have rank >= 1, got {s}");
        c.AddOutput(c.InputType(0), s);
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        b.InputType(0) == DType.Float32 ? new Kernel<float>(Log) : new Kernel<double>(Log);

    /// <summary>Row by row; many rows split into runs of whole rows across the GEMM pool (each row's bits unchanged).</summary>
    private sealed class Kernel<T>(bool log) : OpKernel, IParallelParts where T : IFloatingPointIeee754<T>
    {
        // The call in flight while it runs in parts.
        private Tensor? _x, _o;

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            if (x.Rank < 1) throw new InvalidArgumentException("logits must have rank >= 1");
            var o = ctx.AllocateOutput(0, x.DType, x.Dims);
            int n = x.Dims[^1];
            if (n == 0) return;
            int rows = x.Size / n, parts = ElementwiseParts.ForRows(rows, n);
            (_x, _o) = (x, o);
            try
            {
                if (parts > 1)
                {
                    ElementwiseParts.Count();
                    ParallelParts.Run(this, parts);
                }
                else RunPart(0, 1);
            }
            finally
            {
                (_x, _o) = (null, null);
            }
        }

        public void RunPart(int part, int parts)
        {
            var src = _x!.Span<T>();
            var dst = _o!.Span<T>();
            int n = _x.Dims[^1];
            var (r0, r1) = ParallelParts.Range(src.Length / n, part, parts);
            for (int off = r0 * n; off < r1 * n; off += n)
            {
                if (log) SoftmaxMath.LogSoftmax<T>(src.Slice(off, n), dst.Slice(off, n));
                else SoftmaxMath.Softmax<T>(src.Slice(off, n), dst.Slice(off, n));
            }
        }
    }
}

/// <summary>Softmax: exp(x) / sum(exp(x)) over the last dimension.</summary>
internal sealed class SoftmaxSpec : SoftmaxLikeSpec
{
    public const string OpType = "Softmax";

    public override string Type => OpType;

    protected override string[] OutputArgs => ["softmax: T"];

    protected override bool Log => false;

    /// <summary>TF 1.15's <c>_SoftmaxGrad</c>: (grad − sum(grad·softmax, -1)) · softmax.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var softmax = c.Out();
        var sumChannels = g.ReduceSum(g.Multiply(c.Grad, softmax), [-1], keepDims: true);
        return [g.Multiply(g.Subtract(c.Grad, sumChannels), softmax)];
    }
}

/// <summary>LogSoftmax: x - log(sum(exp(x))) over the last dimension.</summary>
internal sealed class LogSoftmaxSpec : SoftmaxLikeSpec
{
    public const string OpType = "LogSoftmax";

    public override string Type => OpType;

    protected override string[] OutputArgs => ["logsoftmax: T"];

    protected override bool Log => true;

    /// <summary>TF 1.15's <c>_LogSoftmaxGrad</c>: grad − sum(grad, -1) · exp(logsoftmax).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var softmax = g.Exp(c.Out());
        return [g.Subtract(c.Grad, g.Multiply(g.ReduceSum(c.Grad, [-1], keepDims: true), softmax))];
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.nn.softmax</c> over the last axis.</summary>
    public Output Softmax(Output logits, string? name = null) => Unary(SoftmaxSpec.OpType, logits, name);

    /// <summary>TF's <c>tf.nn.log_softmax</c> over the last axis.</summary>
    public Output LogSoftmax(Output logits, string? name = null) => Unary(LogSoftmaxSpec.OpType, logits, name);
}
