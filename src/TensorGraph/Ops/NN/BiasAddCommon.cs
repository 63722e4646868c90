using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

// What BiasAdd and the legacy BiasAddV1 share: the shape rule and the kernel (this file defines no op).

/// <summary>The shape rule and kernel of value + bias along the channel dimension.</summary>
internal static class BiasAddCommon
{
    /// <summary>
    /// value's shape, with its channel dimension (the last for NHWC, dimension 1 for NCHW) taken
    /// from bias when only bias knows it; checks ranks and that the two agree.
    /// </summary>
    public static void Infer(InferContext c, bool nchw)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, TypeSets.Real);
        var v = c.InputShape(0);
        var b = c.InputShape(1);
        int minRank = nchw ? 3 : 2;
        if (v.IsRankKnown && v.Rank < minRank) throw c.Error($"Shape must be at least rank {minRank} but is rank {v.Rank} for value {v}");
        if (b.IsRankKnown && b.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {b.Rank} for bias {b}");
        var shape = v;
        if (v.IsRankKnown)
        {
            int axis = nchw ? 1 : v.Rank - 1;
            if (b.IsRankKnown && v[axis] >= 0 && b[0] >= 0 && v[axis] != b[0])
                throw c.Error($"Dimensions must be equal, but are {v[axis]} and {b[0]} for {c.Type} with input shapes: {v}, {b}");
            if (v[axis] < 0 && b.IsRankKnown && b[0] >= 0)
            {
                var d = v.ToArray();
                d[axis] = b[0];
                shape = Shape.Wrap(d);
            }
        }
        c.AddOutput(c.InputType(0), shape);
    }

    public static OpKernel CreateKernel(KernelBuilder b, bool nchw) => b.InputType(0) switch
    {
        DType.Float32 => new Kernel<float>(nchw),
        DType.Float64 => new Kernel<double>(nchw),
        DType.Int32 => new Kernel<int>(nchw),
        DType.Int64 => new Kernel<long>(nchw),
        var t => throw new UnimplementedException($"{b.Op.Type} has no kernel for {t.Name()}"),
    };

    private sealed class Kernel<T>(bool nchw) : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var v = ctx.Input(0);
            var bias = ctx.Input(1);
            if (v.Rank < 2) throw new InvalidArgumentException($"Input tensor must be at least 2D: {Shape.Format(v.Dims)}");
            if (bias.Rank != 1) throw new InvalidArgumentException($"Biases must be 1D: {Shape.Format(bias.Dims)}");
            if (nchw && v.Rank is < 3 or > 5) throw new InvalidArgumentException($"Only ranks 3 to 5 are supported with data_format NCHW: {Shape.Format(v.Dims)}");
            int axis = nchw ? 1 : v.Rank - 1;
            if (v.Dims[axis] != bias.Size)
                throw new InvalidArgumentException($"Must provide as many biases as the channel dimension of the input tensor: {Shape.Format(bias.Dims)} vs. {Shape.Format(v.Dims)}");
            var o = ctx.AllocateOutput(0, v.DType, v.Dims);
            var x = v.Span<T>();
            var bs = bias.Span<T>();
            var d = o.Span<T>();
            int n = bs.Length;
            if (n == 0 || d.Length == 0) return;
            if (!nchw)
            {
                for (int off = 0; off < d.Length; off += n) TensorPrimitives.Add(x.Slice(off, n), bs, d.Slice(off, n));
                return;
            }
            // NCHW: each channel's block of inner elements gets that channel's bias.
            int inner = d.Length / (v.Dims[0] * n);
            for (int off = 0, ch = 0; off < d.Length; off += inner, ch = ch + 1 == n ? 0 : ch + 1)
                TensorPrimitives.Add(x.Slice(off, inner), bs[ch], d.Slice(off, inner));
        }
    }
}
