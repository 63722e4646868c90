using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Unique: the distinct values of a 1-D tensor in order of first occurrence (<c>y</c>), and for each
/// input element the index of its value in <c>y</c> (<c>idx</c>, int32 or int64 by <c>out_idx</c>).
/// </summary>
internal sealed class UniqueSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("out_idx", "type", Attr.Type(DType.Int32))];

    public const string OpType = "Unique";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: T"];

    protected override string[] OutputArgs => ["y: T", "idx: out_idx"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"unique expects a 1D vector, got shape {s}");
        var outIdx = c.AttrType("out_idx");
        if (outIdx is not (DType.Int32 or DType.Int64)) throw c.Error($"out_idx must be int32 or int64, got {outIdx.Name()}");
        c.AddOutput(c.InputType(0), new Shape(-1));
        c.AddOutput(outIdx, s.IsRankKnown ? s : new Shape(-1));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var outIdx = b.OutputType(1);
        return new LambdaKernel(ctx =>
        {
            var x = ctx.Input(0);
            if (x.Rank != 1) throw OpContext.Error($"unique expects a 1D vector, got shape {Shape.Format(x.Dims)}");
            int n = x.Size;
            var idx = ctx.AllocateOutput(1, outIdx, [n]);
            var firstOf = new List<int>();
            if (x.DType == DType.String)
            {
                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                var values = x.ToArray<string>();
                for (int i = 0; i < n; i++)
                {
                    if (!seen.TryGetValue(values[i], out int k))
                    {
                        seen[values[i]] = k = firstOf.Count;
                        firstOf.Add(i);
                    }
                    SetIndex(idx, i, k);
                }
            }
            else
            {
                switch (x.DType)
                {
                    case DType.Float32: Distinct(x.Span<float>(), idx, firstOf); break;
                    case DType.Float64: Distinct(x.Span<double>(), idx, firstOf); break;
                    case DType.Int32: Distinct(x.Span<int>(), idx, firstOf); break;
                    case DType.Int64: Distinct(x.Span<long>(), idx, firstOf); break;
                    case DType.Int16: Distinct(x.Span<short>(), idx, firstOf); break;
                    case DType.Int8: Distinct(x.Span<sbyte>(), idx, firstOf); break;
                    case DType.UInt8: Distinct(x.Span<byte>(), idx, firstOf); break;
                    case DType.UInt16: Distinct(x.Span<ushort>(), idx, firstOf); break;
                    case DType.Bool: Distinct(x.Span<bool>(), idx, firstOf); break;
                    default: throw new UnimplementedException($"Unique has no kernel for {x.DType.Name()}");
                }
            }
            var y = ctx.AllocateOutput(0, x.DType, [firstOf.Count]);
            for (int k = 0; k < firstOf.Count; k++) Array.Copy(x.Data, firstOf[k], y.Data, k, 1);
        });
    }

    /// <summary>
    /// Distinct values by value equality (as TF's hash map: -0.0 and 0.0 are one value), except
    /// that every NaN is a value of its own (NaN != NaN).
    /// </summary>
    private static void Distinct<T>(ReadOnlySpan<T> values, Tensor idx, List<int> firstOf) where T : struct
    {
        var seen = new Dictionary<T, int>();
        for (int i = 0; i < values.Length; i++)
        {
            var key = values[i];
            bool nan = key is float f && float.IsNaN(f) || key is double d && double.IsNaN(d);
            if (nan || !seen.TryGetValue(key, out int k))
            {
                k = firstOf.Count;
                if (!nan) seen[key] = k;
                firstOf.Add(i);
            }
            SetIndex(idx, i, k);
        }
    }

    private static void SetIndex(Tensor idx, int i, int k)
    {
        if (idx.DType == DType.Int64) idx.Span<long>()[i] = k;
        else idx.Span<int>()[i] = k;
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.unique</c>: (distinct values in order of first occurrence, index of each input element's value).</summary>
    public (Output Y, Output Idx) Unique(Output x, DType outIdx = DType.Int32, string? name = null)
    {
        var op = AddOp(UniqueSpec.OpType, [x], name, attrs: [NamedAttr("T", Attr.Type(x.DType)), NamedAttr("out_idx", Attr.Type(outIdx))]);
        return (op[0], op[1]);
    }
}
