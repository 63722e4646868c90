using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Forwards input 0, or copies it into the output buffer.</summary>
internal sealed class IdentityKernel(bool forward) : OpKernel
{
    public override OutputKind GetOutputKind(int output) => forward ? OutputKind.Forwarded : OutputKind.Allocated;

    public override void Compute(OpContext ctx)
    {
        var x = ctx.Input(0);
        if (forward)
        {
            ctx.SetOutput(0, x);
            return;
        }
        var o = ctx.AllocateOutput(0, x.DType, x.Dims);
        Array.Copy(x.Data, o.Data, x.Size);
    }
}
