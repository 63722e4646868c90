using TensorGraph.Ops;

namespace TensorGraph.Tests.Ops;

/// <summary>
/// The table of element-wise unary ops (every registered <c>UnaryOpSpec</c>): one row gives the
/// op's builder, an independent reference formula and the input domain. From each row the tests
/// check values in float64 and float32 against the formula, the gradient against central
/// differences in float64 (or that the op is marked not differentiable), and the conformance
/// table gets the op's row. Adding a unary op: its file under src/TensorGraph/Ops/ and one row here.
/// </summary>
public class UnaryOpTable
{
    /// <summary>One unary op: builder, reference, domain [Lo, Hi], points where it is not smooth.</summary>
    public sealed record Row(string Type, Func<Graph, Output, Output> Build, Func<double, double> Reference,
        double Lo = -2, double Hi = 2, double[]? Kinks = null, bool IntegerConformance = false)
    {
        public override string ToString() => Type;
    }

    private const double SeluScale = 1.0507009873554804934193349852946;
    private const double SeluAlpha = 1.6732632423543772848170429916717;

    internal static readonly Row[] Rows =
    [
        new(SinSpec.OpType, (g, x) => g.Sin(x), Math.Sin, -3, 3),
        new(CosSpec.OpType, (g, x) => g.Cos(x), Math.Cos, -3, 3),
        new(TanhSpec.OpType, (g, x) => g.Tanh(x), Math.Tanh, -3, 3),
        new(SigmoidSpec.OpType, (g, x) => g.Sigmoid(x), x => 1 / (1 + Math.Exp(-x)), -4, 4),
        new(ExpSpec.OpType, (g, x) => g.Exp(x), Math.Exp),
        new(Expm1Spec.OpType, (g, x) => g.Expm1(x), x => Math.Abs(x) < 1e-5 ? x + x * x / 2 : Math.Exp(x) - 1),
        new(LogSpec.OpType, (g, x) => g.Log(x), Math.Log, 0.5, 3),
        new(Log1pSpec.OpType, (g, x) => g.Log1p(x), x => Math.Abs(x) < 1e-5 ? x - x * x / 2 : Math.Log(1 + x), -0.5, 2),
        new(SqrtSpec.OpType, (g, x) => g.Sqrt(x), Math.Sqrt, 0.5, 3),
        new(RsqrtSpec.OpType, (g, x) => g.Rsqrt(x), x => 1 / Math.Sqrt(x), 0.5, 3),
        new(ReciprocalSpec.OpType, (g, x) => g.Reciprocal(x), x => 1 / x, 0.5, 3),
        new(SquareSpec.OpType, (g, x) => g.Square(x), x => x * x),
        new(NegSpec.OpType, (g, x) => g.Negative(x), x => -x, IntegerConformance: true),
        new(AbsSpec.OpType, (g, x) => g.Abs(x), Math.Abs, Kinks: [0], IntegerConformance: true),
        new(SignSpec.OpType, (g, x) => g.Sign(x), x => Math.Sign(x), Kinks: [0], IntegerConformance: true),
        new(FloorSpec.OpType, (g, x) => g.Floor(x), Math.Floor, -3, 3, Kinks: [-3, -2, -1, 0, 1, 2, 3]),
        new(ReluSpec.OpType, (g, x) => g.Relu(x), x => Math.Max(0, x), Kinks: [0]),
        new(Relu6Spec.OpType, (g, x) => g.Relu6(x), x => Math.Min(Math.Max(0, x), 6), -2, 8, Kinks: [0, 6]),
        new(EluSpec.OpType, (g, x) => g.Elu(x), x => x > 0 ? x : Math.Exp(x) - 1, Kinks: [0]),
        new(SeluSpec.OpType, (g, x) => g.Selu(x), x => x > 0 ? SeluScale * x : SeluScale * SeluAlpha * (Math.Exp(x) - 1), Kinks: [0]),
        new(SoftplusSpec.OpType, (g, x) => g.Softplus(x), x => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x))), -5, 5),
        new(SoftsignSpec.OpType, (g, x) => g.Softsign(x), x => x / (1 + Math.Abs(x)), -4, 4),
    ];

    /// <summary>The rows as conformance-table entries (<see cref="ConformanceTests.Rows"/>).</summary>
    internal static IEnumerable<KeyValuePair<string, Func<ConformanceTests.CaseBuilder, Operation>>> ConformanceRows =>
        Rows.Select(r => new KeyValuePair<string, Func<ConformanceTests.CaseBuilder, Operation>>(r.Type, b =>
        {
            var value = r.IntegerConformance
                ? Tensor.Create(new[] { 7, -7, 3, -3, 6, 0 }, 2, 3)
                : Tensor.Create(Values(6, r.Lo, r.Hi, 4, r.Kinks).Select(v => (float)v).ToArray(), 2, 3);
            return r.Build(b.G, b.Feed(value, [-1, 3])).Op;
        }));

    /// <summary>Values in [lo, hi], each at least 0.05 away from every kink.</summary>
    private static double[] Values(int n, double lo, double hi, int seed, double[]? kinks)
    {
        var r = new Random(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            double x;
            do x = lo + (hi - lo) * r.NextDouble();
            while (kinks is not null && kinks.Any(k => Math.Abs(x - k) < 0.05));
            v[i] = x;
        }
        return v;
    }

    [Test]
    public void EveryUnaryOpHasARow()
    {
        var unary = OpRegistry.All.Where(s => s is UnaryOpSpec).Select(s => s.Type);
        var missing = unary.Except(Rows.Select(r => r.Type)).Order(StringComparer.Ordinal).ToArray();
        Assert.That(missing, Is.Empty, $"Unary ops without a row in {nameof(UnaryOpTable)}.{nameof(Rows)}: {string.Join(", ", missing)}");
        Assert.That(Rows.Select(r => r.Type), Is.Unique);
    }

    [TestCaseSource(nameof(Rows))]
    public void ValuesMatchTheReference(Row row)
    {
        var x64 = Values(24, row.Lo, row.Hi, 1, row.Kinks);
        var x32 = x64.Select(v => (float)v).ToArray();
        var g = new Graph();
        var p64 = g.Placeholder(DType.Float64, [-1], name: "x64");
        var p32 = g.Placeholder(DType.Float32, [-1], name: "x32");
        var y64 = row.Build(g, p64);
        var y32 = row.Build(g, p32);
        Assert.That(y64.Op.Type, Is.EqualTo(row.Type), "the row must build an op of its own type");
        using var s = new Session(g);
        var r = s.Run([y64, y32], new FeedDict { [p64] = x64, [p32] = x32 });
        var got64 = r[0].ToArray<double>();
        var got32 = r[1].ToArray<float>();
        for (int i = 0; i < x64.Length; i++)
        {
            double want64 = row.Reference(x64[i]), want32 = row.Reference(x32[i]);
            Assert.That(got64[i], Is.EqualTo(want64).Within(1e-12 * Math.Max(1, Math.Abs(want64))), $"{row.Type}({x64[i]:R}) float64");
            Assert.That(got32[i], Is.EqualTo(want32).Within(4e-6 * Math.Max(1, Math.Abs(want32))), $"{row.Type}({x32[i]:R}) float32");
        }
    }

    [TestCaseSource(nameof(Rows))]
    public void GradientMatchesCentralDifferences(Row row)
    {
        var spec = OpRegistry.Get(row.Type);
        if (spec.NotDifferentiable)
        {
            var gn = new Graph();
            var xn = gn.Placeholder(DType.Float64, [2, 3], name: "x");
            Assert.That(gn.Gradients(row.Build(gn, xn), xn)[0], Is.Null, $"{row.Type} is not differentiable: no gradient reaches x");
            return;
        }
        Assert.That(spec.HasGradient, Is.True, $"{row.Type} declares neither a gradient nor NotDifferentiable");
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var y = row.Build(g, x);
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Tensor.Create(Values(6, row.Lo, row.Hi, 2, row.Kinks), 2, 3), y, delta: 1e-5);
        Assert.That(check.MaxRelativeError, Is.LessThanOrEqualTo(1e-6), $"{row.Type}: max error {check.MaxError}");
    }
}
