using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// The convolution fusion pass: NHWC Conv2D → BiasAdd (→ Relu) chains, matched by their fusion
/// roles, whose intermediate values nothing else in the plan reads (not fetched, not fed, one
/// consumer, no control edges), become one <see cref="FusedConv2D"/> node (TF grappler's
/// remapper makes the same _FusedConv2D). Float and double only.
/// </summary>
internal sealed class ConvFusionPass : PlanPass
{
    public override void Run(PlanPassContext plan)
    {
        foreach (var conv in plan.Operations)
        {
            if (conv.Spec.Fusion != FusionRole.Conv2D || conv.OutputType(0) is not (DType.Float32 or DType.Float64)) continue;
            if (conv.GetAttrString("data_format") != "NHWC") continue;
            if (plan.BiasReluTail(conv, static b => b.GetAttrString("data_format") == "NHWC") is { } tail)
                plan.Fuse(new FusedConv2D(conv, tail.BiasAdd, tail.Relu));
        }
    }
}

/// <summary>A plan-time fusion of Conv2D → BiasAdd (→ Relu); the graph itself keeps TF's ops.</summary>
internal sealed class FusedConv2D(Operation conv, Operation biasAdd, Operation? relu)
    : FusedNode(relu ?? biasAdd, relu is null ? [conv] : [conv, biasAdd], [conv.Inputs[0], conv.Inputs[1], biasAdd.Inputs[1]])
{
    public Operation Conv { get; } = conv;

    public Operation BiasAdd { get; } = biasAdd;

    /// <summary>Whether the chain ends in a Relu.</summary>
    public bool Relu { get; } = relu is not null;

    public override OpKernel CreateKernel() => FusedConv2DKernel.Create(this);
}

/// <summary>
/// The kernel of a plan-time Conv2D → BiasAdd (→ Relu) fusion: the im2col convolution of
/// <see cref="ConvParallel{T}"/> (or <see cref="Winograd"/> where it applies), with the bias and the ReLU applied to each chunk of output rows
/// right after its product. Errors name the node of the chain they belong to.
/// </summary>
internal static class FusedConv2DKernel
{
    public static OpKernel Create(FusedConv2D f)
    {
        var a = ConvCommon.ConvAttrs(f.Conv.AttrMap, f.Conv.Type);
        return f.Conv.OutputType(0) == DType.Float32 ? new Kernel<float>(f, a) : new Kernel<double>(f, a);
    }

    private sealed class Kernel<T>(FusedConv2D f, ConvCommon.Attrs2D a) : OpKernel, IConvEpilogue<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ConvParallel<T> _conv = new();
        private Winograd? _winograd;
        private T[] _bias = [];

        public override void Compute(OpContext ctx)
        {
            var input = ctx.Input(0);
            var filter = ctx.Input(1);
            var bias = ctx.Input(2);
            var g = ConvCommon.Geometry(a, input.Dims, filter.Dims, f.Conv.Type);
            if (bias.Rank != 1 || bias.Size != g.OC)
                throw new InvalidArgumentException($"Must provide as many biases as the last dimension of the input tensor in BiasAdd '{f.BiasAdd.Name}': {Shape.Format(bias.Dims)} vs. [{g.N}, {g.OH}, {g.OW}, {g.OC}]");
            Span<int> od = [g.N, g.OH, g.OW, g.OC];
            var o = ctx.AllocateOutput(0, input.DType, od);
            _bias = (T[])bias.Data;
            try
            {
                if (typeof(T) == typeof(float) && Winograd.Use(g))
                    (_winograd ??= new Winograd()).Forward((float[])input.Data, (float[])filter.Data, (float[])o.Data, g, (IConvEpilogue<float>)(object)this);
                else
                    _conv.Forward((T[])input.Data, (T[])filter.Data, (T[])o.Data, g, this);
            }
            finally
            {
                _bias = [];
            }
        }

        /// <summary>Bias, then ReLU, on output rows still in cache.</summary>
        public void Apply(Span<T> rows, int channels)
        {
            var bs = _bias.AsSpan(0, channels);
            for (int off = 0; off < rows.Length; off += channels)
            {
                var row = rows.Slice(off, channels);
                TensorPrimitives.Add(row, bs, row);
                if (f.Relu) ReluFunctor<T>.Span(row, row);
            }
        }
    }
}
