using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Assert: fails the step with InvalidArgument ("assertion failed: [data0] [data1] ...", each
/// tensor summarized to its first <c>summarize</c> elements) when the scalar <c>condition</c> is
/// false. It has no outputs; run it as a target or through a control dependency.
/// </summary>
internal sealed class AssertSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "list(type)"), new("summarize", "int", Attr.Int(3))];

    public const string OpType = "Assert";

    public override string Type => OpType;

    protected override string[] InputArgs => ["condition: bool", "data: T"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    /// <summary>TF 1.15's <c>ops.NotDifferentiable("Assert")</c>.</summary>
    public override bool NotDifferentiable => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Bool);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 0) throw c.Error($"The condition of Assert must be a scalar, got shape {s}");
        // The declared arguments made the data inputs as many as attr T lists (none when T is unset).
        var types = c.Attr("T").List?.Type ?? [];
        for (int i = 1; i < c.NumInputs; i++)
        {
            if (DTypes.FromProto(types[i - 1]) != c.InputType(i))
                throw c.Error($"Data input {i - 1} ('{c.Inputs[i].Name}') is {c.InputType(i).Name()}, but attr T says {DTypes.FromProto(types[i - 1]).Name()}");
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        int summarize = (int)b.Op.GetAttrInt("summarize");
        return new LambdaKernel(ctx =>
        {
            var cond = ctx.Input(0);
            if (cond.Rank != 0) throw OpContext.Error($"In[0] should be a scalar: {Shape.Format(cond.Dims)}");
            if (cond.Span<bool>()[0]) return;
            var sb = new StringBuilder("assertion failed: ");
            for (int i = 1; i < ctx.NumInputs; i++)
            {
                if (i > 1) sb.Append(' ');
                sb.Append('[');
                Summarize(sb, ctx.Input(i), summarize);
                sb.Append(']');
            }
            throw OpContext.Error(sb.ToString());
        }, OutputKind.External);
    }

    /// <summary>
    /// TF's Tensor::SummarizeValue: the first <paramref name="max"/> elements, the innermost
    /// dimension space-separated and outer dimensions in brackets (<c>[1 2][3 4]</c>), "..." when cut.
    /// </summary>
    private static void Summarize(StringBuilder sb, Tensor t, int max)
    {
        int n = t.Size;
        int limit = max < 0 ? n : Math.Min(n, max);
        string[] strings = t.DType == DType.String ? t.ToArray<string>() : [];
        string Element(int i) => t.DType == DType.String ? Serialization.CEscape.Utf8(strings[i]) : Item(t, i);
        if (t.Rank == 0)
        {
            if (limit > 0) sb.Append(Element(0));
            return;
        }
        var dims = t.Dims.ToArray();
        int index = 0;
        void PrintOneDim(int d)
        {
            if (index >= limit) return;
            if (d == dims.Length - 1)
            {
                for (int i = 0; i < dims[d]; i++)
                {
                    if (index >= limit) return;
                    if (i > 0) sb.Append(' ');
                    sb.Append(Element(index++));
                }
                return;
            }
            for (int i = 0; i < dims[d]; i++)
            {
                bool open = index < limit;
                if (open) sb.Append('[');
                PrintOneDim(d + 1);
                if (index < limit || open) sb.Append(']');
            }
        }
        PrintOneDim(0);
        if (n > limit) sb.Append("...");
    }

    /// <summary>Shortest text that reads back as the same value, like TF's StrCat for floats.</summary>
    private static string Item(Tensor t, int i)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        switch (t.DType)
        {
            case DType.Bool:
                return t.Span<bool>()[i] ? "1" : "0";
            case DType.Float32:
            {
                float f = t.Span<float>()[i];
                var r = f.ToString("G6", inv);
                return float.Parse(r, inv) == f || float.IsNaN(f) ? Lower(r) : Lower(f.ToString("G9", inv));
            }
            case DType.Float64:
            {
                double d = t.Span<double>()[i];
                var r = d.ToString("G15", inv);
                return double.Parse(r, inv) == d || double.IsNaN(d) ? Lower(r) : Lower(d.ToString("G17", inv));
            }
            default:
                return t.GetInt64(i).ToString(inv);
        }
    }

    private static string Lower(string r) => r switch
    {
        "NaN" => "nan",
        "Infinity" or "∞" => "inf",
        "-Infinity" or "-∞" => "-inf",
        _ => r.Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal),
    };
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.Assert</c>: an op that fails the step with <see cref="InvalidArgumentException"/>
    /// ("assertion failed: [...]") when <paramref name="condition"/> is false, printing
    /// <paramref name="data"/> (at most <paramref name="summarize"/> elements each). Run it, or make
    /// other ops depend on it with <see cref="ControlDependencies(Operation[])"/>.
    /// </summary>
    public Operation Assert(Output condition, Output[] data, int summarize = 3, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return AddOp(AssertSpec.OpType, [condition, .. data], name, AssertSpec.OpType,
            [NamedAttr("T", Attr.Types(data.Select(d => d.DType))), NamedAttr("summarize", Attr.Int(summarize))]);
    }
}
