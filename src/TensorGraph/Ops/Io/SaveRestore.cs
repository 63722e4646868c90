using System.Globalization;
using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;
using TensorGraph.Serialization;

namespace TensorGraph;

internal static class IoOpUtil
{
    public static string Str(Tensor t, int i = 0) => Encoding.UTF8.GetString(t.Span<byte[]>()[i]);

    public static string ScalarString(Tensor t, string what)
    {
        if (t.Size != 1) throw new InvalidArgumentException($"{what} must be a single string, got shape {t.Shape}");
        return Str(t);
    }

    public static DType[] Types(InferContext c, string attr) =>
        [.. (c.Attr(attr).List?.Type ?? []).Select(DTypes.FromProto)];

    public static DType[] Types(Operation op, string attr) =>
        [.. (op.GetAttr(attr).List?.Type ?? []).Select(DTypes.FromProto)];

    /// <summary>
    /// tensor_names and shape_and_slices have one element per tensor; unless
    /// <paramref name="slicesAllowed"/>, every shape_and_slice is empty (whole tensors).
    /// </summary>
    public static void CheckNamesAndSlices(Tensor names, Tensor slices, int n, string op, bool slicesAllowed = false)
    {
        if (names.Size != n) throw new InvalidArgumentException($"{op}: tensor_names has {names.Size} elements but there are {n} tensors");
        if (slices.Size != n) throw new InvalidArgumentException($"{op}: shape_and_slices has {slices.Size} elements but there are {n} tensors");
        if (slicesAllowed) return;
        for (int i = 0; i < n; i++)
        {
            if (slices.Span<byte[]>()[i].Length != 0)
                throw new UnimplementedException($"{op}: partitioned tensors (shape_and_slices '{Str(slices, i)}') are not supported");
        }
    }
}

/// <summary>SaveV2: writes <c>tensors</c> under <c>tensor_names</c> to the V2 checkpoint <c>prefix</c>.</summary>
internal sealed class SaveV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtypes", "list(type)")];

    public const string OpType = "SaveV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["prefix: string", "tensor_names: string", "shape_and_slices: string", "tensors: dtypes"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        var types = IoOpUtil.Types(c, "dtypes");
        for (int i = 0; i < 3; i++) c.RequireType(i, DType.String);
        if (c.InputShape(0).Rank > 0) throw c.Error($"SaveV2 prefix must be a scalar, got shape {c.InputShape(0)}");
        for (int i = 0; i < types.Length; i++)
        {
            if (c.InputType(3 + i) != types[i])
                throw c.Error($"SaveV2 tensor {i} has dtype {c.InputType(3 + i).Name()} but dtypes[{i}] is {types[i].Name()}");
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var prefix = IoOpUtil.ScalarString(ctx.Input(0), "SaveV2 prefix");
        int n = ctx.NumInputs - 3;
        var names = ctx.Input(1);
        IoOpUtil.CheckNamesAndSlices(names, ctx.Input(2), n, OpType);
        using var w = new CheckpointWriter(prefix);
        for (int i = 0; i < n; i++) w.Add(IoOpUtil.Str(names, i), ctx.Input(3 + i));
        w.Finish();
    });
}

/// <summary>
/// RestoreV2: reads <c>tensor_names</c> from the V2 checkpoint <c>prefix</c> as <c>dtypes</c>; a
/// non-empty <c>shape_and_slices</c> entry (<c>"22 10 0,22:0,10"</c>) reads that slice of the
/// stored tensor, as TF restores a partition of a partitioned variable.
/// </summary>
internal sealed class RestoreV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtypes", "list(type)")];

    public const string OpType = "RestoreV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["prefix: string", "tensor_names: string", "shape_and_slices: string"];

    protected override string[] OutputArgs => ["tensors: dtypes"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        for (int i = 0; i < 3; i++) c.RequireType(i, DType.String);
        foreach (var t in IoOpUtil.Types(c, "dtypes")) c.AddOutput(t, Shape.Unknown);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new RestoreKernel(IoOpUtil.Types(b.Op, "dtypes"));

    private sealed class RestoreKernel(DType[] types) : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.External;

        public override void Compute(OpContext ctx)
        {
            var prefix = IoOpUtil.ScalarString(ctx.Input(0), "RestoreV2 prefix");
            var names = ctx.Input(1);
            var slices = ctx.Input(2);
            IoOpUtil.CheckNamesAndSlices(names, slices, types.Length, OpType, slicesAllowed: true);
            if (!CheckpointFiles.Exists(prefix))
                throw new NotFoundException($"Unsuccessful TensorSliceReader constructor: failed to find any matching files for {prefix}");
            using var r = new CheckpointReader(prefix);
            for (int i = 0; i < types.Length; i++)
            {
                var name = IoOpUtil.Str(names, i);
                if (!r.HasTensor(name)) throw new NotFoundException($"Key {name} not found in checkpoint");
                var info = r.GetInfo(name);
                if (info.DType != types[i])
                    throw new InvalidArgumentException($"tensor_name = {name}; expected dtype {types[i].Name()} does not equal original dtype {(info.DType == DType.Invalid ? info.ProtoDType.ToString() : info.DType.Name())}");
                var spec = IoOpUtil.Str(slices, i);
                // A partition of a partitioned variable: its slice of the stored tensor.
                ctx.SetOutput(i, spec.Length == 0 ? r.GetTensor(name) : r.GetSlice(name, TensorSliceSpec.Parse(spec)));
            }
        }
    }
}

/// <summary>MergeV2Checkpoints: merges sharded V2 checkpoints into one prefix.</summary>
internal sealed class MergeV2CheckpointsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("delete_old_dirs", "bool", Attr.Bool(true)), new("allow_missing_files", "bool", Attr.Bool(false), Optional: true)];

    public const string OpType = "MergeV2Checkpoints";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["checkpoint_prefixes: string", "destination_prefix: string"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        c.RequireType(1, DType.String);
        if (c.InputShape(1).Rank > 0) throw c.Error($"destination_prefix must be a scalar, got shape {c.InputShape(1)}");
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool deleteOld = b.Op.GetAttrBool("delete_old_dirs");
        bool allowMissing = b.Op.HasAttr("allow_missing_files") && b.Op.GetAttrBool("allow_missing_files");
        return new LambdaKernel(ctx =>
        {
            var src = ctx.Input(0);
            var sources = new List<string>();
            for (int i = 0; i < src.Size; i++)
            {
                var p = IoOpUtil.Str(src, i);
                if (allowMissing && !CheckpointFiles.Exists(p)) continue;
                sources.Add(p);
            }
            CheckpointMerger.Merge(sources, IoOpUtil.ScalarString(ctx.Input(1), "destination_prefix"), deleteOld);
        });
    }
}

/// <summary>ShardedFilename: <c>basename-SSSSS-of-NNNNN</c>.</summary>
internal sealed class ShardedFilenameSpec : OpSpec
{
    public const string OpType = "ShardedFilename";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["basename: string", "shard: int32", "num_shards: int32"];

    protected override string[] OutputArgs => ["filename: string"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        c.RequireType(1, DType.Int32);
        c.RequireType(2, DType.Int32);
        for (int i = 0; i < 3; i++)
            if (c.InputShape(i).Rank > 0) throw c.Error($"ShardedFilename input {i} must be a scalar, got shape {c.InputShape(i)}");
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var name = IoOpUtil.ScalarString(ctx.Input(0), "basename");
        int shard = ctx.Input(1).ScalarValue<int>("shard"), num = ctx.Input(2).ScalarValue<int>("num_shards");
        var s = string.Create(CultureInfo.InvariantCulture, $"{name}-{shard:D5}-of-{num:D5}");
        ctx.SetOutput(0, Tensor.Scalar(s));
    }, OutputKind.External);
}

/// <summary>StringJoin: element-wise concatenation of N string tensors (scalars broadcast) with a separator.</summary>
internal sealed class StringJoinSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int"), new("separator", "string", Attr.String(""))];

    public const string OpType = "StringJoin";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["inputs: N * string"];

    protected override string[] OutputArgs => ["output: string"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.NumInputs < 1) throw c.Error("StringJoin needs N >= 1 inputs");
        Shape shape = Shape.Scalar;
        for (int i = 0; i < c.NumInputs; i++)
        {
            c.RequireType(i, DType.String);
            var s = c.InputShape(i);
            if (s.Rank == 0) continue;
            if (shape.Rank == 0) shape = s;
            else if (!shape.IsCompatibleWith(s)) throw c.Error($"StringJoin inputs must be scalars or have the same shape, got {shape} and {s}");
            else shape = shape.MergeWith(s);
        }
        c.AddOutput(DType.String, shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var sep = b.Op.GetAttr("separator").S.ToByteArray();
        return new LambdaKernel(ctx =>
        {
            Tensor? like = null;
            for (int i = 0; i < ctx.NumInputs; i++)
            {
                var t = ctx.Input(i);
                if (t.Rank == 0) continue;
                if (like is null) like = t;
                else if (!like.Dims.SequenceEqual(t.Dims))
                    throw new InvalidArgumentException($"StringJoin inputs must be scalars or have the same shape, got {like.Shape} and {t.Shape}");
            }
            var dims = like?.DimsArray ?? [];
            var o = Tensor.Zeros(DType.String, dims);
            var dst = o.Span<byte[]>();
            var buf = new List<byte>();
            for (int e = 0; e < dst.Length; e++)
            {
                buf.Clear();
                for (int i = 0; i < ctx.NumInputs; i++)
                {
                    if (i > 0) buf.AddRange(sep);
                    var t = ctx.Input(i);
                    buf.AddRange(t.Span<byte[]>()[t.Rank == 0 ? 0 : e]);
                }
                dst[e] = buf.ToArray();
            }
            ctx.SetOutput(0, o);
        }, OutputKind.External);
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>SaveV2</c>: writes <paramref name="tensors"/> to the checkpoint named by <paramref name="prefix"/>.</summary>
    public Operation SaveV2(Output prefix, Output tensorNames, Output shapeAndSlices, Output[] tensors, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return AddOp(SaveV2Spec.OpType, [prefix, tensorNames, shapeAndSlices, .. tensors], name, SaveV2Spec.OpType, [NamedAttr("dtypes", Attr.Types(tensors.Select(t => t.DType)))]);
    }

    /// <summary>TF's <c>RestoreV2</c>: reads the named tensors with the given dtypes from a checkpoint.</summary>
    public Output[] RestoreV2(Output prefix, Output tensorNames, Output shapeAndSlices, DType[] dtypes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(dtypes);
        return AddOp(RestoreV2Spec.OpType, [prefix, tensorNames, shapeAndSlices], name, RestoreV2Spec.OpType, [NamedAttr("dtypes", Attr.Types(dtypes))]).Outputs;
    }

    /// <summary>TF's <c>MergeV2Checkpoints</c>.</summary>
    public Operation MergeV2Checkpoints(Output checkpointPrefixes, Output destinationPrefix, bool deleteOldDirs = true, string? name = null) =>
        AddOp(MergeV2CheckpointsSpec.OpType, [checkpointPrefixes, destinationPrefix], name, MergeV2CheckpointsSpec.OpType, [NamedAttr("delete_old_dirs", Attr.Bool(deleteOldDirs))]);

    /// <summary>TF's <c>ShardedFilename</c>: <c>basename-%05d-of-%05d</c>.</summary>
    public Output ShardedFilename(Output basename, Output shard, Output numShards, string? name = null) =>
        AddOp(ShardedFilenameSpec.OpType, [basename, shard, numShards], name, ShardedFilenameSpec.OpType)[0];

    /// <summary>TF's <c>tf.strings.join</c> (op <c>StringJoin</c>).</summary>
    public Output StringJoin(Output[] inputs, string separator = "", string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return AddOp(StringJoinSpec.OpType, inputs, name, StringJoinSpec.OpType, [NamedAttr("N", Attr.Int(inputs.Length)), NamedAttr("separator", Attr.String(separator))])[0];
    }
}
