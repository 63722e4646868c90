using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Bucketize: element-wise, the index of the bucket of each value — the number of
/// <c>boundaries</c> that are ≤ it (TF's <c>std::upper_bound</c>), so bucket 0 is (−∞, b0) and the
/// last [b(n−1), +∞). Output int32 of the input's shape. The boundaries must be sorted.
/// </summary>
internal sealed class BucketizeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type", AllowedTypes: TypeSets.FloatInt), new("boundaries", "list(float)")];

    public const string OpType = "Bucketize";

    public override string Type => OpType;

    /// <summary>TF 1.15 registers Bucketize as not differentiable.</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: int32"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.FloatInt);
        var b = c.Attr("boundaries").List?.F ?? [];
        for (int i = 1; i < b.Count; i++)
        {
            if (!(b[i - 1] <= b[i])) throw c.Error("Expected sorted boundaries");
        }
        c.AddOutput(DType.Int32, c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var bounds = b.Op.GetAttr("boundaries").List?.F.ToArray() ?? [];
        return new LambdaKernel(ctx =>
        {
            var x = ctx.Input(0);
            var o = ctx.AllocateOutput(0, DType.Int32, x.Dims);
            var y = o.Span<int>();
            switch (x.DType)
            {
                case DType.Float32: Fill(x.Span<float>(), y, bounds, v => v); break;
                case DType.Float64: Fill(x.Span<double>(), y, bounds, v => v); break;
                case DType.Int32: Fill(x.Span<int>(), y, bounds, v => v); break;
                default: Fill(x.Span<long>(), y, bounds, v => v); break;
            }
        });
    }

    /// <summary>upper_bound over the boundaries (compared in double, as C++ promotes float and the value).</summary>
    private static void Fill<T>(ReadOnlySpan<T> x, Span<int> y, float[] bounds, Func<T, double> toDouble)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = toDouble(x[i]);
            int lo = 0, hi = bounds.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (v < bounds[mid]) hi = mid;
                else lo = mid + 1;
            }
            y[i] = lo;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>math_ops._bucketize(input, boundaries)</c>: a <c>Bucketize</c> node; the bucket index (int32) of each value.</summary>
    public Output Bucketize(Output input, IEnumerable<float> boundaries, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        return AddOp(BucketizeSpec.OpType, [input], name, attrs:
            [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("boundaries", Attr.Floats(boundaries))])[0];
    }
}
