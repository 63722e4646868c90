using System.Text;
using Google.Protobuf;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;
using TensorGraph.Summaries;

namespace TensorGraph;

internal static class SummaryOpUtil
{
    public static readonly DType[] RealTypes =
        [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Int16, DType.Int8, DType.UInt8, DType.UInt16];

    public static Tensor Serialize(Summary s) => Tensor.Create([s.ToByteArray()]);

    private static readonly System.Text.RegularExpressions.Regex InvalidTagCharacters = new(@"[^-/\w\.]");

    /// <summary>
    /// TF's <c>summary_op_util.clean_tag</c>: every character outside <c>[-/\w.]</c> becomes
    /// <c>_</c> and leading slashes go (so <c>var.name</c>, <c>"W1:0"</c>, makes the tag
    /// <c>W1_0</c>); a changed name is reported, as TF logs it, through
    /// <see cref="System.Diagnostics.Trace"/>.
    /// </summary>
    public static string CleanTag(string name)
    {
        var cleaned = InvalidTagCharacters.Replace(name, "_").TrimStart('/');
        if (cleaned != name)
            System.Diagnostics.Trace.TraceInformation($"Summary name {name} is illegal; using {cleaned} instead.");
        return cleaned;
    }
}

/// <summary>ScalarSummary: a serialized <c>Summary</c> with one <c>simple_value</c> per (tag, value) pair.</summary>
internal sealed class ScalarSummarySpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "ScalarSummary";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["tags: string", "values: T"];

    protected override string[] OutputArgs => ["summary: string"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        c.RequireType(1, SummaryOpUtil.RealTypes);
        if (!c.InputShape(0).IsCompatibleWith(c.InputShape(1)))
            throw c.Error($"tags and values are not the same shape: {c.InputShape(0)} != {c.InputShape(1)}");
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var tags = ctx.Input(0);
        var values = ctx.Input(1);
        if (!tags.Dims.SequenceEqual(values.Dims))
            throw new InvalidArgumentException($"tags and values are not the same shape: {tags.Shape} != {values.Shape}");
        var s = new Summary();
        var t = tags.Span<byte[]>();
        for (int i = 0; i < t.Length; i++)
            s.Value.Add(new Summary.Types.Value { Tag = Encoding.UTF8.GetString(t[i]), SimpleValue = (float)values.GetDouble(i) });
        ctx.SetOutput(0, SummaryOpUtil.Serialize(s));
    }, OutputKind.External);
}

/// <summary>HistogramSummary: a serialized <c>Summary</c> with one <c>HistogramProto</c> of all values.</summary>
internal sealed class HistogramSummarySpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type", Attr.Type(DType.Float32))];

    public const string OpType = "HistogramSummary";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["tag: string", "values: T"];

    protected override string[] OutputArgs => ["summary: string"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        c.RequireType(1, SummaryOpUtil.RealTypes);
        if (c.InputShape(0).Rank > 0) throw c.Error($"HistogramSummary tag must be a scalar, got shape {c.InputShape(0)}");
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        string node = b.Op.Name;
        return new LambdaKernel(ctx => Compute(ctx, node), OutputKind.External);
    }

    // The other real dtypes, value by value: the index of the first NaN or infinity, or -1.
    private static int AddEach(Histogram h, Tensor values)
    {
        for (int i = 0; i < values.Size; i++)
        {
            double v = values.GetDouble(i);
            if (!double.IsFinite(v)) return i;
            h.Add(v);
        }
        return -1;
    }

    private static void Compute(OpContext ctx, string node)
    {
        var tag = ctx.Input(0);
        var tagText = Encoding.UTF8.GetString(tag.ScalarValue<byte[]>("tags"));
        var values = ctx.Input(1);
        var h = new Histogram();
        int bad = values.DType switch
        {
            DType.Float32 => h.AddFinite(values.AsSpan<float>()),
            DType.Float64 => h.AddFinite(values.AsSpan<double>()),
            _ => AddEach(h, values),
        };
        // TF's SummaryHistoOp names the node (its name()), not the tag.
        if (bad >= 0)
            throw new InvalidArgumentException($"{(double.IsNaN(values.GetDouble(bad)) ? "Nan" : "Infinity")} in summary histogram for: {node}");
        var s = new Summary();
        s.Value.Add(new Summary.Types.Value { Tag = tagText, Histo = h.ToProto() });
        ctx.SetOutput(0, SummaryOpUtil.Serialize(s));
    }
}

/// <summary>MergeSummary: concatenates the values of N serialized summaries; duplicate tags are an error.</summary>
internal sealed class MergeSummarySpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int")];

    public const string OpType = "MergeSummary";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["inputs: N * string"];

    protected override string[] OutputArgs => ["summary: string"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.NumInputs < 1) throw c.Error("MergeSummary needs N >= 1 inputs");
        for (int i = 0; i < c.NumInputs; i++) c.RequireType(i, DType.String);
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var merged = new Summary();
        var tags = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ctx.NumInputs; i++)
        {
            foreach (var bytes in ctx.Input(i).Span<byte[]>())
            {
                Summary s;
                try
                {
                    s = Summary.Parser.ParseFrom(bytes);
                }
                catch (InvalidProtocolBufferException e)
                {
                    throw new InvalidArgumentException($"Could not parse one of the summary inputs: {e.Message}", e);
                }
                foreach (var v in s.Value)
                {
                    if (v.Tag.Length > 0 && !tags.Add(v.Tag)) throw new InvalidArgumentException($"Duplicate tag {v.Tag} found in summary inputs");
                    merged.Value.Add(v);
                }
            }
        }
        ctx.SetOutput(0, SummaryOpUtil.Serialize(merged));
    }, OutputKind.External);
}

public sealed partial class Graph
{
    /// <summary>
    /// TF1's <c>tf.summary.scalar(name, value)</c>: a <c>ScalarSummary</c> whose tag is
    /// <paramref name="tag"/> under the current name scope, added to <see cref="GraphKeys.Summaries"/>.
    /// Characters TF does not allow in a tag are replaced as TF's <c>clean_tag</c> replaces them
    /// (<c>"W1:0"</c> → <c>W1_0</c>).
    /// </summary>
    public Output ScalarSummary(string tag, Output value, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tag);
        tag = SummaryOpUtil.CleanTag(tag);
        if (name is not null) name = SummaryOpUtil.CleanTag(name);
        using var scope = NameScope(name ?? tag);
        var fullTag = SummaryTag(tag, name);
        var tags = Constant(Tensor.Scalar(fullTag), name: "tags");
        var op = AddOp(ScalarSummarySpec.OpType, [tags, value], CurrentNameScope + "/", attrs: [NamedAttr("T", Attr.Type(value.DType))])[0];
        AddToCollection(GraphKeys.Summaries, op);
        return op;
    }

    /// <summary>A <c>ScalarSummary</c> over a tensor of tags and a same-shaped tensor of values.</summary>
    public Output ScalarSummary(Output tags, Output values, string? name = null)
    {
        var op = AddOp(ScalarSummarySpec.OpType, [tags, values], name, ScalarSummarySpec.OpType, [NamedAttr("T", Attr.Type(values.DType))])[0];
        AddToCollection(GraphKeys.Summaries, op);
        return op;
    }

    /// <summary>TF1's <c>tf.summary.histogram(name, values)</c>, added to <see cref="GraphKeys.Summaries"/>; the tag is cleaned as TF cleans it.</summary>
    public Output HistogramSummary(string tag, Output values, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tag);
        tag = SummaryOpUtil.CleanTag(tag);
        if (name is not null) name = SummaryOpUtil.CleanTag(name);
        using var scope = NameScope(name ?? tag);
        var fullTag = SummaryTag(tag, name);
        var t = Constant(Tensor.Scalar(fullTag), name: "tag");
        var op = AddOp(HistogramSummarySpec.OpType, [t, values], CurrentNameScope + "/", attrs: [NamedAttr("T", Attr.Type(values.DType))])[0];
        AddToCollection(GraphKeys.Summaries, op);
        return op;
    }

    // The tag is the summary's scope name (TF's summary_scope); with an explicit node name it is
    // the tag under the enclosing scope.
    private string SummaryTag(string tag, string? name)
    {
        if (name is null) return CurrentNameScope;
        int slash = CurrentNameScope.LastIndexOf('/');
        return slash < 0 ? tag : CurrentNameScope[..slash] + "/" + tag;
    }

    /// <summary>TF's <c>tf.summary.merge</c>: one serialized Summary holding every input's values.</summary>
    public Output MergeSummary(Output[] inputs, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new InvalidArgumentException("MergeSummary needs at least one input");
        return AddOp(MergeSummarySpec.OpType, inputs, name, "Merge/MergeSummary", [NamedAttr("N", Attr.Int(inputs.Length))])[0];
    }

    /// <summary>TF's <c>tf.summary.merge_all()</c>: merges the <see cref="GraphKeys.Summaries"/> collection; null when it is empty.</summary>
    public Output? MergeAllSummaries(string? name = null)
    {
        var all = GetCollection<Output>(GraphKeys.Summaries);
        return all.Count == 0 ? null : MergeSummary([.. all], name);
    }
}
