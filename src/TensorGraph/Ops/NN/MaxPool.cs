using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>MaxPool: the maximum over each window of an NHWC input (padding never wins).</summary>
internal sealed class MaxPoolSpec : ForwardPoolSpec
{
    public const string OpType = "MaxPool";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T"];

    public override IReadOnlyList<AttrSpec> Attrs => MaxPoolAttrs;

    protected override DType[] KernelTypes => TypeSets.Real;

    /// <summary>TF 1.15's <c>_MaxPoolGrad</c>: MaxPoolGrad(x, y, grad).</summary>
    public override Output?[] Gradient(GradContext c) => [PoolLike(c, MaxPoolGradSpec.OpType, [c.X, c.Out(), c.Grad], c.X.DType)];

    protected override OpKernel NewKernel<T>(int[] ksize, int[] strides, PaddingKind padding) => new Kernel<T>(ksize, strides, padding);

    // Images are pooled in parallel parts; the window's channels are compared a vector at a time.
    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : OpKernel, IParallelParts where T : unmanaged, INumber<T>
    {
        private Tensor? _x, _o;
        private ConvGeometry _g;

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var g = ConvCommon.PoolGeometry(x.Dims, ksize, strides, padding, OpType);
            Span<int> od = [g.N, g.OH, g.OW, g.C];
            var o = ctx.AllocateOutput(0, x.DType, od);
            (_x, _o, _g) = (x, o, g);
            try
            {
                ParallelParts.Run(this, PoolWindow.Parts(g));
            }
            finally
            {
                (_x, _o) = (null, null);
            }
        }

        public void RunPart(int part, int parts)
        {
            var g = _g;
            ReadOnlySpan<T> src = _x!.Span<T>();
            var dst = _o!.Span<T>();
            int c = g.C;
            var (b0, b1) = ParallelParts.Range(g.N, part, parts);
            for (int b = b0; b < b1; b++)
            {
                for (int oy = 0; oy < g.OH; oy++)
                {
                    for (int ox = 0; ox < g.OW; ox++)
                    {
                        var orow = dst.Slice(((b * g.OH + oy) * g.OW + ox) * c, c);
                        PoolWindow.Bounds(g, oy, ox, out int y0, out int y1, out int x0, out int x1);
                        bool first = true;
                        for (int iy = y0; iy < y1; iy++)
                        {
                            for (int ix = x0; ix < x1; ix++)
                            {
                                var irow = src.Slice(((b * g.H + iy) * g.W + ix) * c, c);
                                if (first)
                                {
                                    irow.CopyTo(orow);
                                    first = false;
                                    continue;
                                }
                                PoolWindow.MaxInto(irow, orow);
                            }
                        }
                        if (first) orow.Clear();
                    }
                }
            }
        }
    }
}

/// <summary>
/// The two gradient ops of MaxPool that read orig_input and orig_output: the maximum of each
/// window is recomputed from orig_input (ties go to the first element in row-major window order,
/// as in TF's CPU kernel) and grad is moved between the pooled position and the maximum's.
/// </summary>
internal abstract class MaxPoolBackpropSpec : PoolSpec
{
    protected override string[] InputArgs => ["orig_input: T", "orig_output: T", "grad: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => MaxPoolAttrs;

    protected override DType[] KernelTypes => TypeSets.FloatInt;

    /// <summary>The op type of this op's gradient with respect to grad.</summary>
    protected abstract string GradOfGradType { get; }

    public sealed override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireSameType(0, 1);
        c.RequireSameType(0, 2);
        var input = c.InputShape(0);
        var outShape = PooledShape(c, input);
        c.AddOutput(c.InputType(0), OutputShape(c, input, outShape));
    }

    /// <summary>Checks orig_output and grad against orig_input and its pooled shape; returns the output's shape.</summary>
    protected abstract Shape OutputShape(InferContext c, Shape input, Shape pooled);

    /// <summary>
    /// TF 1.15's <c>_MaxPoolGradGrad</c> and <c>_MaxPoolGradGradGrad</c>: zeros for orig_input and
    /// orig_output, the other gradient op of the pair for grad.
    /// </summary>
    public sealed override Output?[] Gradient(GradContext c) =>
    [
        NnGradientHelpers.ZerosOfShape(c, c.Input(0)),
        NnGradientHelpers.ZerosOfShape(c, c.Input(1)),
        PoolLike(c, GradOfGradType, [c.Input(0), c.Input(1), c.Grad], c.X.DType),
    ];

    /// <summary>The loop both kernels share: each pooled position's window maximum, handed to <see cref="Route"/>.</summary>
    protected abstract class RouteKernel<T>(int[] ksize, int[] strides, PaddingKind padding) : OpKernel, IParallelParts where T : unmanaged, INumber<T>
    {
        private T[][] _best = [];
        private int[][] _arg = [];
        private Tensor? _src, _grad, _dst;
        private ConvGeometry _g;

        /// <summary>The run-time pooling geometry of orig_input.</summary>
        protected ConvGeometry Geometry(Tensor x, string op) => ConvCommon.PoolGeometry(x.Dims, ksize, strides, padding, op);

        /// <summary>
        /// For every pooled position, finds the flat orig_input index of each channel's maximum and
        /// calls <see cref="Route"/> with it (<c>found</c> is false for an empty window).
        /// </summary>
        protected void ForEachWindowMax(Tensor src, Tensor grad, Tensor dst, in ConvGeometry g)
        {
            int parts = PoolWindow.Parts(g);
            if (_best.Length < parts)
            {
                Array.Resize(ref _best, parts);
                Array.Resize(ref _arg, parts);
            }
            for (int p = 0; p < parts; p++)
            {
                if (_best[p] is null || _best[p].Length < g.C)
                {
                    _best[p] = new T[g.C];
                    _arg[p] = new int[g.C];
                }
            }
            (_src, _grad, _dst, _g) = (src, grad, dst, g);
            try
            {
                // Parts take whole images: a window's maximum and its route stay inside its image.
                ParallelParts.Run(this, parts);
            }
            finally
            {
                (_src, _grad, _dst) = (null, null, null);
            }
        }

        /// <summary>The images of part <paramref name="part"/>.</summary>
        public void RunPart(int part, int parts)
        {
            var g = _g;
            int c = g.C;
            ReadOnlySpan<T> src = _src!.Span<T>();
            ReadOnlySpan<T> grad = _grad!.Span<T>();
            var dst = _dst!.Span<T>();
            var best = _best[part].AsSpan(0, c);
            var arg = _arg[part].AsSpan(0, c);
            var (b0, b1) = ParallelParts.Range(g.N, part, parts);
            for (int b = b0; b < b1; b++)
            {
                for (int oy = 0; oy < g.OH; oy++)
                {
                    for (int ox = 0; ox < g.OW; ox++)
                    {
                        int pooled = ((b * g.OH + oy) * g.OW + ox) * c;
                        bool found = PoolWindow.ArgMax(src, g, b, oy, ox, best, arg);
                        Route(grad, dst, pooled, arg, found);
                    }
                }
            }
        }

        /// <summary>Moves grad for the <paramref name="arg"/>.Length channels at flat pooled offset <paramref name="pooled"/>.</summary>
        protected abstract void Route(ReadOnlySpan<T> grad, Span<T> dst, int pooled, ReadOnlySpan<int> arg, bool found);
    }
}

/// <summary>
/// MaxPoolGrad: routes each output gradient to the input element that was the window's maximum.
/// Like TF's CPU kernel, the maximum is recomputed from orig_input and ties go to the first
/// element in row-major window order.
/// </summary>
internal sealed class MaxPoolGradSpec : MaxPoolBackpropSpec
{
    public const string OpType = "MaxPoolGrad";

    public override string Type => OpType;

    protected override string GradOfGradType => MaxPoolGradGradSpec.OpType;

    protected override Shape OutputShape(InferContext c, Shape input, Shape pooled)
    {
        for (int i = 1; i <= 2; i++)
        {
            var si = c.InputShape(i);
            if (si.IsRankKnown && si.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {si.Rank} for input {i} {si}");
            if (!pooled.IsCompatibleWith(si))
                throw c.Error($"Input {i} ('{c.Inputs[i].Name}') has shape {si} but the pooled output of {input} has shape {pooled}");
        }
        return input.IsRankKnown ? input : Shape.UnknownOfRank(4);
    }

    protected override OpKernel NewKernel<T>(int[] ksize, int[] strides, PaddingKind padding) => new Kernel<T>(ksize, strides, padding);

    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : RouteKernel<T>(ksize, strides, padding)
        where T : unmanaged, INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var y = ctx.Input(1);
            var grad = ctx.Input(2);
            var g = Geometry(x, OpType);
            Span<int> od = [g.N, g.OH, g.OW, g.C];
            if (!grad.Dims.SequenceEqual(od) || !y.Dims.SequenceEqual(od))
                throw new InvalidArgumentException($"MaxPoolGrad: orig_output {Shape.Format(y.Dims)} and grad {Shape.Format(grad.Dims)} must have the pooled shape {Shape.Format(od)}");
            var o = ctx.AllocateOutput(0, x.DType, x.Dims);
            o.Span<T>().Clear();
            ForEachWindowMax(x, grad, o, g);
        }

        // Scatter: each channel's pooled gradient is added at its maximum.
        protected override void Route(ReadOnlySpan<T> grad, Span<T> dst, int pooled, ReadOnlySpan<int> arg, bool found)
        {
            if (!found) return;
            var grow = grad.Slice(pooled, arg.Length);
            for (int ch = 0; ch < arg.Length; ch++) dst[arg[ch]] += grow[ch];
        }
    }
}

/// <summary>
/// MaxPoolGradGrad: the gradient of MaxPoolGrad with respect to its grad input: for each pooled
/// position, the value of <c>grad</c> (shaped like orig_input) at the window's maximum.
/// </summary>
internal sealed class MaxPoolGradGradSpec : MaxPoolBackpropSpec
{
    public const string OpType = "MaxPoolGradGrad";

    public override string Type => OpType;

    protected override string GradOfGradType => MaxPoolGradSpec.OpType;

    protected override Shape OutputShape(InferContext c, Shape input, Shape pooled)
    {
        if (!input.IsCompatibleWith(c.InputShape(2)))
            throw c.Error($"grad has shape {c.InputShape(2)} but must have the shape of orig_input {input}");
        if (!pooled.IsCompatibleWith(c.InputShape(1)))
            throw c.Error($"orig_output has shape {c.InputShape(1)} but the pooled output of {input} has shape {pooled}");
        return pooled.IsRankKnown ? pooled.MergeWith(c.InputShape(1)) : c.InputShape(1);
    }

    protected override OpKernel NewKernel<T>(int[] ksize, int[] strides, PaddingKind padding) => new Kernel<T>(ksize, strides, padding);

    private sealed class Kernel<T>(int[] ksize, int[] strides, PaddingKind padding) : RouteKernel<T>(ksize, strides, padding)
        where T : unmanaged, INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var y = ctx.Input(1);
            var grad = ctx.Input(2);
            var g = Geometry(x, OpType);
            Span<int> od = [g.N, g.OH, g.OW, g.C];
            if (!y.Dims.SequenceEqual(od) || !grad.Dims.SequenceEqual(x.Dims))
                throw new InvalidArgumentException($"MaxPoolGradGrad: orig_output {Shape.Format(y.Dims)} must have the pooled shape {Shape.Format(od)} and grad {Shape.Format(grad.Dims)} the shape of orig_input {Shape.Format(x.Dims)}");
            var o = ctx.AllocateOutput(0, x.DType, od);
            ForEachWindowMax(x, grad, o, g);
        }

        // Gather: each pooled channel takes grad at its maximum (zero for an empty window).
        protected override void Route(ReadOnlySpan<T> grad, Span<T> dst, int pooled, ReadOnlySpan<int> arg, bool found)
        {
            var orow = dst.Slice(pooled, arg.Length);
            if (!found)
            {
                orow.Clear();
                return;
            }
            for (int ch = 0; ch < arg.Length; ch++) orow[ch] = grad[arg[ch]];
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.max_pool</c>: a MaxPool node over an NHWC <paramref name="value"/>;
    /// <paramref name="ksize"/> and <paramref name="strides"/> have 4 entries, <paramref name="padding"/> is "SAME" or "VALID".
    /// </summary>
    public Output MaxPool(Output value, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC", string? name = null) =>
        AddOp(MaxPoolSpec.OpType, [value], name, MaxPoolSpec.OpType, ConvCommon.PoolAttrList(value.DType, ksize, strides, padding, dataFormat))[0];

    /// <summary>TF's <c>gen_nn_ops.max_pool_grad</c>: the gradient of MaxPool with respect to its input.</summary>
    public Output MaxPoolGrad(Output origInput, Output origOutput, Output grad, int[] ksize, int[] strides, string padding,
        string dataFormat = "NHWC", string? name = null) =>
        AddOp(MaxPoolGradSpec.OpType, [origInput, origOutput, grad], name, MaxPoolGradSpec.OpType,
            ConvCommon.PoolAttrList(origInput.DType, ksize, strides, padding, dataFormat))[0];

    /// <summary>TF's <c>gen_nn_ops.max_pool_grad_grad</c>: the gradient of MaxPoolGrad with respect to its grad input.</summary>
    public Output MaxPoolGradGrad(Output origInput, Output origOutput, Output grad, int[] ksize, int[] strides, string padding,
        string dataFormat = "NHWC", string? name = null) =>
        AddOp(MaxPoolGradGradSpec.OpType, [origInput, origOutput, grad], name, MaxPoolGradGradSpec.OpType,
            ConvCommon.PoolAttrList(origInput.DType, ksize, strides, padding, dataFormat))[0];
}
