using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Select (TF1 <c>tf.where(c, x, y)</c>): picks from t where condition is true, else from e.
/// The condition is a scalar, the same shape as t, or a vector selecting rows of t.
/// </summary>
internal sealed class SelectSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "Select";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SelectGrad</c>: the gradient to t where the condition holds, to e elsewhere.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var zeros = g.ZerosLike(c.Input(1));
        return [null, g.Select(c.Input(0), c.Grad, zeros), g.Select(c.Input(0), zeros, c.Grad)];
    }

    protected override string[] InputArgs => ["condition: bool", "t: T", "e: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Bool);
        c.RequireSameType(1, 2);
        var t = c.InputShape(1);
        var e = c.InputShape(2);
        if (!t.IsCompatibleWith(e)) throw c.Error($"'then' and 'else' must have the same shape, got {t} and {e}");
        var shape = t.MergeWith(e);
        var cond = c.InputShape(0);
        if (cond.IsRankKnown && shape.IsRankKnown && cond.Rank != 0 && !cond.IsCompatibleWith(shape))
        {
            bool rowSelect = cond.Rank == 1 && shape.Rank >= 1 && (cond[0] < 0 || shape[0] < 0 || cond[0] == shape[0]);
            if (!rowSelect) throw c.Error($"condition shape {cond} must be a scalar, equal to the input shape {shape}, or a vector of its first dimension");
        }
        c.AddOutput(c.InputType(1), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new SelectKernel();

    private sealed class SelectKernel : OpKernel
    {
        private static void Elementwise(ReadOnlySpan<bool> c, Tensor t, Tensor e, Tensor o)
        {
            switch (o.DType)
            {
                case DType.Float32: Pick<float>(c, t, e, o); break;
                case DType.Float64: Pick<double>(c, t, e, o); break;
                case DType.Int32: Pick<int>(c, t, e, o); break;
                case DType.Int64: Pick<long>(c, t, e, o); break;
                case DType.Int16: Pick<short>(c, t, e, o); break;
                case DType.Int8: Pick<sbyte>(c, t, e, o); break;
                case DType.UInt8: Pick<byte>(c, t, e, o); break;
                case DType.UInt16: Pick<ushort>(c, t, e, o); break;
                case DType.Bool: Pick<bool>(c, t, e, o); break;
                default: Pick<byte[]>(c, t, e, o); break;
            }
        }

        private static void Pick<T>(ReadOnlySpan<bool> c, Tensor t, Tensor e, Tensor o)
        {
            var a = t.Span<T>();
            var b = e.Span<T>();
            var d = o.Span<T>();
            for (int i = 0; i < d.Length; i++) d[i] = c[i] ? a[i] : b[i];
        }

        public override void Compute(OpContext ctx)
        {
            var cond = ctx.Input(0);
            var t = ctx.Input(1);
            var e = ctx.Input(2);
            if (!t.Dims.SequenceEqual(e.Dims))
                throw new InvalidArgumentException($"'then' and 'else' must have the same shape, got {Shape.Format(t.Dims)} and {Shape.Format(e.Dims)}");
            var o = ctx.AllocateOutput(0, t.DType, t.Dims);
            var c = cond.Span<bool>();
            int n = t.Size;
            if (cond.Rank == 0)
            {
                Array.Copy(c[0] ? t.Data : e.Data, o.Data, n);
            }
            else if (cond.Dims.SequenceEqual(t.Dims))
            {
                Elementwise(c, t, e, o);
            }
            else if (cond.Rank == 1 && t.Rank >= 1 && cond.Size == t.Dims[0])
            {
                int row = t.Dims[0] == 0 ? 0 : n / t.Dims[0];
                for (int r = 0; r < cond.Size; r++) Array.Copy(c[r] ? t.Data : e.Data, r * row, o.Data, r * row, row);
            }
            else
            {
                throw new InvalidArgumentException($"condition shape {Shape.Format(cond.Dims)} must be a scalar, equal to the input shape {Shape.Format(t.Dims)}, or a vector of its first dimension");
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF1's <c>tf.where(condition, x, y)</c>: a <c>Select</c> node.</summary>
    public Output Select(Output condition, Output x, Output y, string? name = null) =>
        AddOp(SelectSpec.OpType, [condition, x, y], name, SelectSpec.OpType, [NamedAttr("T", Attr.Type(x.DType))])[0];
}
