using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Attrs and build-time shape rules shared by the fused batch-norm ops and their gradients.</summary>
internal static class BatchNormCommon
{
    /// <summary>FusedBatchNorm / FusedBatchNormGrad: a single type attr T.</summary>
    public static readonly IReadOnlyList<AttrSpec> AttrsV1 =
    [
        new("T", "type"),
        new("epsilon", "float", Attr.Float(0.0001f)),
        new("data_format", "string", Attr.String("NHWC")),
        new("is_training", "bool", Attr.Bool(true)),
    ];

    /// <summary>
    /// TF 2.2+'s exponential_avg_factor of the forward ops: accepted when a graph has it (then, in
    /// training, the statistics outputs are running averages with the given mean and variance),
    /// never added to graphs built here, which TF 1.15 must read.
    /// </summary>
    public static readonly AttrSpec ExponentialAvgFactor = new("exponential_avg_factor", "float", Attr.Float(1f), Optional: true);

    /// <summary>The V2/V3 ops: T for x and y, U for scale, offset and the statistics.</summary>
    public static readonly IReadOnlyList<AttrSpec> AttrsV2 =
    [
        new("T", "type"),
        new("U", "type"),
        new("epsilon", "float", Attr.Float(0.0001f)),
        new("data_format", "string", Attr.String("NHWC")),
        new("is_training", "bool", Attr.Bool(true)),
    ];

    /// <summary>
    /// The attrs of a built FusedBatchNorm* or FusedBatchNormGrad* node: T, U (only for the V2 and
    /// V3 ops: <paramref name="u"/> not null), epsilon, data_format and is_training.
    /// </summary>
    public static List<KeyValuePair<string, Proto.AttrValue>> NodeAttrs(DType t, DType? u, float epsilon, string dataFormat, bool isTraining)
    {
        var attrs = new List<KeyValuePair<string, Proto.AttrValue>> { new("T", Attr.Type(t)) };
        if (u is { } uType) attrs.Add(new("U", Attr.Type(uType)));
        attrs.Add(new("epsilon", Attr.Float(epsilon)));
        attrs.Add(new("data_format", Attr.String(dataFormat)));
        attrs.Add(new("is_training", Attr.Bool(isTraining)));
        return attrs;
    }

    /// <summary>
    /// Checks T (float32, or float64 as an extension) and that every input in
    /// <paramref name="uInputs"/> has the statistics type U, which must equal T (TF's U is float32;
    /// there is no half type here). Returns T.
    /// </summary>
    public static DType CheckTypes(InferContext c, int[] tInputs, int[] uInputs)
    {
        foreach (var i in tInputs) c.RequireType(i, TypeSets.Float);
        var t = c.InputType(tInputs[0]);
        foreach (var i in tInputs) c.RequireSameType(tInputs[0], i);
        foreach (var i in uInputs)
            if (c.InputType(i) != t)
                throw c.Error($"{c.Type} needs input {i} ('{c.Inputs[i].Name}') to have dtype {t.Name()} like x, got {c.InputType(i).Name()}");
        return t;
    }

    /// <summary>Requires rank 4 and returns the shape.</summary>
    public static Shape Rank4(InferContext c, int i, string what)
    {
        var s = c.InputShape(i);
        if (s.IsRankKnown && s.Rank != 4) throw c.Error($"Shape must be rank 4 but is rank {s.Rank} for {what} {s}");
        return s.IsRankKnown ? s : Shape.UnknownOfRank(4);
    }

    /// <summary>Requires input <paramref name="i"/> to be a vector and merges its length into <paramref name="channels"/>.</summary>
    public static int MergeVector(InferContext c, int i, int channels, string what)
    {
        var s = c.InputShape(i);
        if (!s.IsRankKnown) return channels;
        if (s.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {s.Rank} for {what} {s}");
        return MergeDim(c, channels, s[0]);
    }

    /// <summary>TF's Merge of two dimensions (-1 = unknown).</summary>
    public static int MergeDim(InferContext c, int a, int b)
    {
        if (a < 0) return b;
        if (b < 0 || a == b) return a;
        throw c.Error($"Dimensions must be equal, but are {a} and {b}");
    }

    /// <summary><paramref name="s"/> with dim <paramref name="axis"/> replaced by <paramref name="value"/>.</summary>
    public static Shape WithDim(Shape s, int axis, int value)
    {
        var d = s.ToArray();
        d[axis] = value;
        return new Shape(d);
    }

    /// <summary>Reads epsilon, data_format (as NCHW or not) and is_training from an op's attrs.</summary>
    public static (double Epsilon, bool Nchw, bool Training) Attrs(Operation op) =>
        ((double)op.GetAttrFloat("epsilon"), ConvCommon.IsNchw(op.GetAttrString("data_format"), op.Type), op.GetAttrBool("is_training"));

    /// <summary>Checks a run-time tensor is 1-D with <paramref name="c"/> elements.</summary>
    public static void RequireVector(Tensor t, int c, string what, string op)
    {
        if (t.Rank != 1) throw new InvalidArgumentException($"{what} must be 1-dimensional{Shape.Format(t.Dims)}");
        if (t.Size != c)
            throw new InvalidArgumentException($"{op}: {what} must have the same number of elements as the channels of x, got {t.Size} and {c}");
    }
}
