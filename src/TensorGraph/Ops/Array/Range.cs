using System.Numerics;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Range: [start, start + delta, …) up to but excluding limit (<c>tf.range</c>).</summary>
internal sealed class RangeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("Tidx", "type", Attr.Type(DType.Int32))];

    private static readonly string[] ArgNames = ["start", "limit", "delta"];

    public const string OpType = "Range";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["start: Tidx", "limit: Tidx", "delta: Tidx"];

    protected override string[] OutputArgs => ["output: Tidx"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.FloatInt);
        c.RequireSameType(0, 1);
        c.RequireSameType(0, 2);
        for (int i = 0; i < 3; i++)
            if (c.InputShape(i).Rank > 0) throw c.Error($"{ArgNames[i]} must be a scalar, not shape {c.InputShape(i)}");
        int n = -1;
        if (c.ConstantInput(0) is { } s && c.ConstantInput(1) is { } l && c.ConstantInput(2) is { } d)
            n = Count(s.ScalarDouble("start"), l.ScalarDouble("limit"), d.ScalarDouble("delta"), c.InputType(0).IsInteger());
        c.AddOutput(c.InputType(0), new Shape(n));
    }

    internal static int Count(double start, double limit, double delta, bool integer)
    {
        if (delta == 0) throw new InvalidArgumentException("Requires delta != 0");
        if (delta > 0 && start > limit) throw new InvalidArgumentException($"Requires start <= limit when delta > 0: {start}/{limit}");
        if (delta < 0 && start < limit) throw new InvalidArgumentException($"Requires start >= limit when delta < 0: {start}/{limit}");
        double n = integer ? Math.Ceiling(Math.Abs(limit - start) / Math.Abs(delta)) : Math.Ceiling(Math.Abs((limit - start) / delta));
        if (n > int.MaxValue) throw new InvalidArgumentException($"Range of {n} elements is too large");
        return (int)n;
    }

    public override OpKernel CreateKernel(KernelBuilder b) => b.InputType(0) switch
    {
        DType.Float32 => new RangeKernel<float>(),
        DType.Float64 => new RangeKernel<double>(),
        DType.Int32 => new RangeKernel<int>(),
        DType.Int64 => new RangeKernel<long>(),
        var t => throw new UnimplementedException($"Range has no kernel for {t.Name()}"),
    };

    private sealed class RangeKernel<T> : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var start = ctx.Input(0).ScalarValue<T>("start");
            var limit = ctx.Input(1).ScalarValue<T>("limit");
            var delta = ctx.Input(2).ScalarValue<T>("delta");
            int n = Count(double.CreateTruncating(start), double.CreateTruncating(limit), double.CreateTruncating(delta), typeof(T) == typeof(int) || typeof(T) == typeof(long));
            Span<int> d = [n];
            var o = ctx.AllocateOutput(0, ctx.Input(0).DType, d).Span<T>();
            var v = start;
            for (int i = 0; i < n; i++, v += delta) o[i] = v;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.range(start, limit, delta)</c> on scalar tensors.</summary>
    public Output Range(Output start, Output limit, Output delta, string? name = null) =>
        AddOp(RangeSpec.OpType, [start, limit, delta], name, attrs: [NamedAttr("Tidx", Attr.Type(start.DType))])[0];

    /// <summary>TF's <c>tf.range(start, limit, delta)</c> for int32 constants.</summary>
    public Output Range(int start, int limit, int delta = 1, string? name = null)
    {
        using var scope = NameScope(name ?? "range");
        var exact = CurrentNameScope + "/";
        return Range(Constant(start, name: "start"), Constant(limit, name: "limit"), Constant(delta, name: "delta"), exact);
    }
}
