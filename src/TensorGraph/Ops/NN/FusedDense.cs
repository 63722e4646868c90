using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// The dense fusion pass: MatMul → BiasAdd (→ Relu) chains, matched by their fusion roles, whose
/// intermediate values nothing else in the plan reads (not fetched, not fed, one consumer, no
/// control edges), become one <see cref="FusedDense"/> node. Float and double only.
/// </summary>
internal sealed class DenseFusionPass : PlanPass
{
    public override void Run(PlanPassContext plan)
    {
        foreach (var m in plan.Operations)
        {
            if (m.Spec.Fusion != FusionRole.MatMul || m.OutputType(0) is not (DType.Float32 or DType.Float64)) continue;
            if (plan.BiasReluTail(m) is { } tail) plan.Fuse(new FusedDense(m, tail.BiasAdd, tail.Relu));
        }
    }
}

/// <summary>A plan-time fusion of MatMul → BiasAdd (→ Relu); the graph itself keeps TF's three ops.</summary>
internal sealed class FusedDense(Operation matMul, Operation biasAdd, Operation? relu)
    : FusedNode(relu ?? biasAdd, relu is null ? [matMul] : [matMul, biasAdd], [matMul.Inputs[0], matMul.Inputs[1], biasAdd.Inputs[1]])
{
    public Operation MatMul { get; } = matMul;

    public Operation BiasAdd { get; } = biasAdd;

    /// <summary>Whether the chain ends in a Relu.</summary>
    public bool Relu { get; } = relu is not null;

    public override OpKernel CreateKernel() => FusedDenseKernel.Create(this);
}

/// <summary>
/// The kernel of a plan-time MatMul → BiasAdd (→ Relu) fusion: one GEMM, then the bias and the
/// ReLU applied to each output row while it is still in cache. No op type of its own: exported
/// graphs keep TF's three nodes.
/// </summary>
internal static class FusedDenseKernel
{
    public static OpKernel Create(FusedDense f) => f.MatMul.OutputType(0) == DType.Float32
        ? new Kernel<float>(f)
        : new Kernel<double>(f);

    private sealed class Kernel<T>(FusedDense f) : OpKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly GemmScratch _scratch = new();
        private readonly bool _ta = f.MatMul.GetAttrBool("transpose_a");
        private readonly bool _tb = f.MatMul.GetAttrBool("transpose_b");

        public override void Compute(OpContext ctx)
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            var bias = ctx.Input(2);
            if (a.Rank != 2 || b.Rank != 2)
                throw new InvalidArgumentException($"MatMul '{f.MatMul.Name}' needs rank-2 inputs, got {Shape.Format(a.Dims)} and {Shape.Format(b.Dims)}");
            int m = a.Dims[_ta ? 1 : 0], k = a.Dims[_ta ? 0 : 1];
            int kb = b.Dims[_tb ? 1 : 0], n = b.Dims[_tb ? 0 : 1];
            if (k != kb)
                throw new InvalidArgumentException($"Matrix size-incompatible in MatMul '{f.MatMul.Name}': In[0]: {Shape.Format(a.Dims)}, In[1]: {Shape.Format(b.Dims)}");
            if (bias.Rank != 1 || bias.Size != n)
                throw new InvalidArgumentException($"Must provide as many biases as the last dimension of the input tensor in BiasAdd '{f.BiasAdd.Name}': {Shape.Format(bias.Dims)} vs. [{m}, {n}]");
            Span<int> od = [m, n];
            var o = ctx.AllocateOutput(0, a.DType, od);
            var c = o.Span<T>();
            Gemm.Multiply<T>(a.Span<T>(), _ta, b.Span<T>(), _tb, c, m, n, k, _scratch);
            var bs = bias.Span<T>();
            if (n == 0) return;
            for (int off = 0; off < c.Length; off += n)
            {
                var row = c.Slice(off, n);
                TensorPrimitives.Add(row, bs, row);
                if (f.Relu) ReluFunctor<T>.Span(row, row); // while the row is still in cache
            }
        }
    }
}
