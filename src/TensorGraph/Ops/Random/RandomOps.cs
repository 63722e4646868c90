using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shared schema of RandomUniform / RandomStandardNormal / TruncatedNormal: shape → float tensor.</summary>
internal abstract class RandomFloatSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("seed", "int", Attr.Int(0)), new("seed2", "int", Attr.Int(0)), new("dtype", "type"), new("T", "type")];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["shape: T"];

    protected override string[] OutputArgs => ["output: dtype"];

    public override bool IsStateful => true;

    protected abstract double Sample(RandomStream r);

    /// <summary>A float32 sample; by default <see cref="Sample"/> rounded to float.</summary>
    protected virtual float SampleSingle(RandomStream r) => (float)Sample(r);

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Int);
        var dt = c.AttrType("dtype");
        if (!dt.IsFloating()) throw c.Error($"dtype must be float32 or float64, got {dt.Name()}");
        c.AddOutput(dt, RandomShapes.FromShapeInput(c, 0));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var stream = b.OpState(() => new RandomStream(b.Op.GetAttrInt("seed"), b.Op.GetAttrInt("seed2")));
        var dt = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            Span<int> dims = stackalloc int[ctx.Input(0).ShapeVectorLength("shape")];
            ctx.Input(0).ReadDimensions(dims, "shape");
            var o = ctx.AllocateOutput(0, dt, dims);
            lock (stream.Sync)
            {
                if (dt == DType.Float32)
                {
                    var d = o.Span<float>();
                    for (int i = 0; i < d.Length; i++) d[i] = SampleSingle(stream);
                }
                else
                {
                    var d = o.Span<double>();
                    for (int i = 0; i < d.Length; i++) d[i] = Sample(stream);
                }
            }
        });
    }
}

internal static class RandomShapes
{
    public static Shape FromShapeInput(InferContext c, int i)
    {
        var s = c.InputShape(i);
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"shape must be a vector, got shape {s}");
        if (c.ConstantDims(i, "shape") is { } d) return Shape.Wrap(d);
        // TF's MakeShapeFromShapeTensor: what build time knows of the shape (ShapeOf(x), a Pack, …).
        var partial = c.PartialShapeInput(i);
        if (partial.IsRankKnown) return partial;
        return s.IsRankKnown && s[0] >= 0 ? Shape.UnknownOfRank(s[0]) : Shape.Unknown;
    }

}

/// <summary>RandomUniform: U[0, 1).</summary>
internal sealed class RandomUniformSpec : RandomFloatSpec
{
    public const string OpType = "RandomUniform";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    // TF's granularity: multiples of 2^-52 (double) and 2^-23 (float), so 1 + u stays below 2 and a
    // float32 sample is never rounded up to 1.
    protected override double Sample(RandomStream r) => r.NextUniformDouble();

    protected override float SampleSingle(RandomStream r) => r.NextSingle();
}

/// <summary>RandomStandardNormal: N(0, 1).</summary>
internal sealed class RandomStandardNormalSpec : RandomFloatSpec
{
    public const string OpType = "RandomStandardNormal";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override double Sample(RandomStream r) => r.NextNormal();
}

/// <summary>TruncatedNormal: N(0, 1) with values beyond two standard deviations redrawn.</summary>
internal sealed class TruncatedNormalSpec : RandomFloatSpec
{
    public const string OpType = "TruncatedNormal";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override double Sample(RandomStream r) => r.NextTruncatedNormal();
}

/// <summary>RandomUniformInt: integers uniform in [minval, maxval).</summary>
internal sealed class RandomUniformIntSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("seed", "int", Attr.Int(0)), new("seed2", "int", Attr.Int(0)), new("Tout", "type"), new("T", "type")];

    public const string OpType = "RandomUniformInt";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["shape: T", "minval: Tout", "maxval: Tout"];

    protected override string[] OutputArgs => ["output: Tout"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Int);
        c.RequireType(1, TypeSets.Int);
        c.RequireSameType(1, 2);
        if (c.InputShape(1).Rank > 0 || c.InputShape(2).Rank > 0) throw c.Error("minval and maxval must be scalars");
        c.AddOutput(c.InputType(1), RandomShapes.FromShapeInput(c, 0));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var stream = b.OpState(() => new RandomStream(b.Op.GetAttrInt("seed"), b.Op.GetAttrInt("seed2")));
        var dt = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            long lo = ctx.Input(1).ScalarInt64("minval"), hi = ctx.Input(2).ScalarInt64("maxval");
            if (lo >= hi) throw new InvalidArgumentException($"Need minval < maxval: {lo} >= {hi}");
            Span<int> dims = stackalloc int[ctx.Input(0).ShapeVectorLength("shape")];
            ctx.Input(0).ReadDimensions(dims, "shape");
            var o = ctx.AllocateOutput(0, dt, dims);
            lock (stream.Sync)
            {
                if (dt == DType.Int32)
                {
                    var d = o.Span<int>();
                    for (int i = 0; i < d.Length; i++) d[i] = (int)stream.NextInt64(lo, hi);
                }
                else
                {
                    var d = o.Span<long>();
                    for (int i = 0; i < d.Length; i++) d[i] = stream.NextInt64(lo, hi);
                }
            }
        });
    }
}

public sealed partial class Graph
{
    private const int DefaultGraphSeed = 87654321;

    /// <summary>
    /// TF's <c>random_seed.get_seed</c>: the (seed, seed2) attrs for a random op from the graph
    /// seed and an optional op seed. Without a graph seed and an op seed the op is nondeterministic.
    /// </summary>
    public (long Seed, long Seed2) GetSeed(int? opSeed)
    {
        long s1, s2;
        if (Seed is { } gs)
        {
            s1 = gs;
            s2 = opSeed ?? OperationCount;
        }
        else if (opSeed is { } os)
        {
            s1 = DefaultGraphSeed;
            s2 = os;
        }
        else return (0, 0);
        if (s1 == 0 && s2 == 0) s2 = int.MaxValue;
        return (s1, s2);
    }

    /// <summary>TF's <c>tf.random_uniform</c>: values in [minval, maxval) (RandomUniform, or RandomUniformInt for integer dtypes).</summary>
    public Output RandomUniform(Shape shape, double minval = 0, double maxval = 1, DType dtype = DType.Float32, int? seed = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        using var scope = NameScope(name ?? "random_uniform");
        var exact = CurrentNameScope + "/";
        var shapeT = Constant(shape.ToArray(), name: "shape");
        var (s1, s2) = GetSeed(seed);
        var min = Constant(ScalarOf(dtype, minval), name: "min");
        var max = Constant(ScalarOf(dtype, maxval), name: "max");
        if (dtype.IsInteger())
        {
            return AddOp(RandomUniformIntSpec.OpType, [shapeT, min, max], exact, attrs:
                [NamedAttr("seed", Attr.Int(s1)), NamedAttr("seed2", Attr.Int(s2)), NamedAttr("Tout", Attr.Type(dtype)), NamedAttr("T", Attr.Type(DType.Int32))])[0];
        }
        var rnd = AddOp(RandomUniformSpec.OpType, [shapeT], "RandomUniform", attrs:
            [NamedAttr("seed", Attr.Int(s1)), NamedAttr("seed2", Attr.Int(s2)), NamedAttr("dtype", Attr.Type(dtype)), NamedAttr("T", Attr.Type(DType.Int32))])[0];
        var range = Subtract(max, min, "sub");
        var scaled = Multiply(rnd, range, "mul");
        return Binary(AddSpec.OpType, scaled, min, exact);
    }

    /// <summary>TF's <c>tf.random_uniform</c> with a run-time shape tensor (int32 or int64, e.g. <c>ShapeOf(x)</c>); integer dtypes use RandomUniformInt.</summary>
    public Output RandomUniform(Output shape, double minval = 0, double maxval = 1, DType dtype = DType.Float32, int? seed = null, string? name = null)
    {
        if (!dtype.IsFloating() && !dtype.IsInteger()) throw new InvalidArgumentException($"RandomUniform needs a float or integer dtype, got {dtype.Name()}");
        using var scope = NameScope(name ?? "random_uniform");
        var exact = CurrentNameScope + "/";
        var (s1, s2) = GetSeed(seed);
        var min = Constant(ScalarOf(dtype, minval), name: "min");
        var max = Constant(ScalarOf(dtype, maxval), name: "max");
        if (dtype.IsInteger())
        {
            return AddOp(RandomUniformIntSpec.OpType, [shape, min, max], exact, attrs:
                [NamedAttr("seed", Attr.Int(s1)), NamedAttr("seed2", Attr.Int(s2)), NamedAttr("Tout", Attr.Type(dtype)), NamedAttr("T", Attr.Type(shape.DType))])[0];
        }
        var rnd = AddOp(RandomUniformSpec.OpType, [shape], "RandomUniform", attrs:
            [NamedAttr("seed", Attr.Int(s1)), NamedAttr("seed2", Attr.Int(s2)), NamedAttr("dtype", Attr.Type(dtype)), NamedAttr("T", Attr.Type(shape.DType))])[0];
        var range = Subtract(max, min, "sub");
        var scaled = Multiply(rnd, range, "mul");
        return Binary(AddSpec.OpType, scaled, min, exact);
    }

    /// <summary>TF's <c>tf.random_normal</c>: N(mean, stddev²).</summary>
    public Output RandomNormal(Shape shape, double mean = 0, double stddev = 1, DType dtype = DType.Float32, int? seed = null, string? name = null) =>
        NormalLike(RandomStandardNormalSpec.OpType, shape, null, mean, stddev, dtype, seed, name ?? "random_normal");

    /// <summary>TF's <c>tf.random_normal</c> with a run-time shape tensor (e.g. <c>RandomNormal(ShapeOf(mu))</c>, a VAE's noise).</summary>
    public Output RandomNormal(Output shape, double mean = 0, double stddev = 1, DType dtype = DType.Float32, int? seed = null, string? name = null) =>
        NormalLike(RandomStandardNormalSpec.OpType, null, shape, mean, stddev, dtype, seed, name ?? "random_normal");

    /// <summary>TF's <c>tf.truncated_normal</c>: N(mean, stddev²) with values beyond two stddevs redrawn.</summary>
    public Output TruncatedNormal(Shape shape, double mean = 0, double stddev = 1, DType dtype = DType.Float32, int? seed = null, string? name = null) =>
        NormalLike(TruncatedNormalSpec.OpType, shape, null, mean, stddev, dtype, seed, name ?? "truncated_normal");

    /// <summary>TF's <c>tf.truncated_normal</c> with a run-time shape tensor.</summary>
    public Output TruncatedNormal(Output shape, double mean = 0, double stddev = 1, DType dtype = DType.Float32, int? seed = null, string? name = null) =>
        NormalLike(TruncatedNormalSpec.OpType, null, shape, mean, stddev, dtype, seed, name ?? "truncated_normal");

    private Output NormalLike(string op, Shape? shape, Output? shapeTensor, double mean, double stddev, DType dtype, int? seed, string name)
    {
        if (shape is null && shapeTensor is null) throw new ArgumentNullException(nameof(shape));
        if (!dtype.IsFloating()) throw new InvalidArgumentException($"{op} needs a float dtype, got {dtype.Name()}");
        using var scope = NameScope(name);
        var exact = CurrentNameScope + "/";
        var shapeT = shapeTensor ?? Constant(shape!.ToArray(), name: "shape");
        var meanT = Constant(ScalarOf(dtype, mean), name: "mean");
        var stdT = Constant(ScalarOf(dtype, stddev), name: "stddev");
        var (s1, s2) = GetSeed(seed);
        var rnd = AddOp(op, [shapeT], op, attrs:
            [NamedAttr("seed", Attr.Int(s1)), NamedAttr("seed2", Attr.Int(s2)), NamedAttr("dtype", Attr.Type(dtype)), NamedAttr("T", Attr.Type(shapeT.DType))])[0];
        var mul = Multiply(rnd, stdT, "mul");
        return Binary(AddSpec.OpType, mul, meanT, exact);
    }
}
