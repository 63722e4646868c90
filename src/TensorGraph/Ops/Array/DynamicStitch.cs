using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// DynamicStitch: merged[indices[m][i, …]] = data[m][i, …, :] — interleaves the data tensors into
/// one, later pieces overwriting earlier ones at the same index (TF's reduced_shape uses it).
/// </summary>
internal sealed class DynamicStitchSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int"), new("T", "type")];

    public const string OpType = "DynamicStitch";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_DynamicStitchGrads</c>: indices get none, each data input gathers its rows.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        int n = c.Op.NumInputs / 2;
        var result = new Output?[2 * n];
        for (int i = 0; i < n; i++) result[n + i] = g.Gather(c.Grad, c.Input(i));
        return result;
    }

    protected override string[] InputArgs => ["indices: N * int32", "data: N * T"];

    protected override string[] OutputArgs => ["merged: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int n = (int)c.AttrInt("N");
        if (n < 1) throw c.Error($"DynamicStitch needs N >= 1, got N = {n}");
        for (int i = 0; i < n; i++)
        {
            c.RequireType(i, DType.Int32);
            c.RequireSameType(n, n + i);
        }
        // data[i].shape must be indices[i].shape followed by one suffix shared by all inputs.
        Shape suffix = Shape.Unknown;
        for (int i = 0; i < n; i++)
        {
            var ind = c.InputShape(i);
            var data = c.InputShape(n + i);
            if (!ind.IsRankKnown || !data.IsRankKnown) continue;
            bool prefix = data.Rank >= ind.Rank;
            for (int k = 0; prefix && k < ind.Rank; k++) prefix = ind[k] < 0 || data[k] < 0 || ind[k] == data[k];
            if (!prefix) throw c.Error($"data[{i}].shape = {data} does not start with indices[{i}].shape = {ind}");
            var rest = Shape.Wrap(data.ToArray()[ind.Rank..]);
            if (!suffix.IsCompatibleWith(rest))
                throw c.Error($"Need data[0].shape[indices[0].rank:] = data[{i}].shape[indices[{i}].rank:], got {suffix} and {rest} (data[{i}].shape = {data}, indices[{i}].shape = {ind})");
            suffix = suffix.MergeWith(rest);
        }
        c.AddOutput(c.InputType(n), suffix.IsRankKnown ? Shape.Wrap([-1, .. suffix.ToArray()]) : Shape.Unknown);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new StitchKernel();

    private sealed class StitchKernel : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            int n = ctx.NumInputs / 2;
            var data0 = ctx.Input(n);
            var ind0 = ctx.Input(0);
            if (data0.Rank < ind0.Rank || !data0.Dims[..ind0.Rank].SequenceEqual(ind0.Dims))
                throw new InvalidArgumentException($"data[0].shape = {Shape.Format(data0.Dims)} does not start with indices[0].shape = {Shape.Format(ind0.Dims)}");
            var suffix = data0.Dims[ind0.Rank..];
            int max = -1;
            for (int m = 0; m < n; m++)
            {
                var indT = ctx.Input(m);
                var data = ctx.Input(n + m);
                if (data.Rank < indT.Rank || !data.Dims[..indT.Rank].SequenceEqual(indT.Dims))
                    throw new InvalidArgumentException($"data[{m}].shape = {Shape.Format(data.Dims)} does not start with indices[{m}].shape = {Shape.Format(indT.Dims)}");
                if (!data.Dims[indT.Rank..].SequenceEqual(suffix))
                    throw new InvalidArgumentException(
                        $"Need data[0].shape[{ind0.Rank}:] = data[{m}].shape[{indT.Rank}:], got data[0].shape = {Shape.Format(data0.Dims)}, data[{m}].shape = {Shape.Format(data.Dims)}, indices[0].shape = {Shape.Format(ind0.Dims)}, indices[{m}].shape = {Shape.Format(indT.Dims)}");
                foreach (var v in indT.Span<int>()) max = Math.Max(max, v);
            }
            Span<int> od = stackalloc int[1 + suffix.Length];
            od[0] = TensorSize.Dimension((long)max + 1, "the largest index + 1");
            suffix.CopyTo(od[1..]);
            int slice = 1;
            for (int i = 1; i < od.Length; i++) slice = checked(slice * od[i]);
            var o = ctx.AllocateOutput(0, data0.DType, od);
            // Rows no index names are left at zero (TF leaves them unspecified).
            if (o.DType == DType.String) o.Span<byte[]>().Fill([]);
            else Array.Clear(o.Data, 0, o.Size);
            for (int m = 0; m < n; m++)
            {
                var ind = ctx.Input(m).Span<int>();
                var data = ctx.Input(n + m);
                for (int i = 0; i < ind.Length; i++)
                {
                    int at = ind[i];
                    if (at < 0 || at > max)
                        throw new InvalidArgumentException($"indices[{i}] = {at} is out of range [0, {max + 1}) in indices[{m}]");
                    Array.Copy(data.Data, i * slice, o.Data, at * slice, slice);
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.dynamic_stitch(indices, data)</c>.</summary>
    public Output DynamicStitch(Output[] indices, Output[] data, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(data);
        if (indices.Length != data.Length || indices.Length == 0)
            throw new InvalidArgumentException($"DynamicStitch needs as many data as indices tensors, got {indices.Length} and {data.Length}");
        return AddOp(DynamicStitchSpec.OpType, [.. indices, .. data], name, attrs:
            [NamedAttr("N", Attr.Int(indices.Length)), NamedAttr("T", Attr.Type(data[0].DType))])[0];
    }

    /// <summary>TF's <c>math_ops.reduced_shape</c>: <paramref name="inputShape"/> with the <paramref name="axes"/> set to 1.</summary>
    public Output ReducedShape(Output inputShape, Output axes)
    {
        if (inputShape.DType != DType.Int32) inputShape = Cast(inputShape, DType.Int32);
        if (axes.DType != DType.Int32) axes = Cast(axes, DType.Int32);
        var rank = Size(inputShape);
        var normalized = FloorMod(AddV2(axes, rank, "add"), rank, "mod");
        var axesShape = ShapeOf(normalized);
        return DynamicStitch([Range(Constant(0, name: "range/start"), rank, Constant(1, name: "range/delta"), "range"), normalized],
            [inputShape, Fill(axesShape, Constant(1, name: "Fill/value"))]);
    }
}
