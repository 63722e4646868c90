using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TFRecordReaderV2: a reader of TFRecord files living in the session, shared by (container,
/// shared_name), else by node. Uncompressed files only (compression_type "").
/// </summary>
internal sealed class TFRecordReaderV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
        new("compression_type", "string", Attr.String("")),
    ];

    public const string OpType = "TFRecordReaderV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["reader_handle: resource"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(DType.Resource, Shape.Scalar);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var compression = op.GetAttrString("compression_type");
        if (compression.Length != 0)
            throw new UnimplementedException($"TFRecordReader with compression_type '{compression}' is not implemented (only uncompressed files)");
        var shared = op.GetAttrString("shared_name");
        var key = "reader:" + op.GetAttrString("container") + "/" + (shared.Length > 0 ? shared : "\u0001" + op.Name);
        var resources = b.Session.Resources;
        return new LambdaKernel(ctx =>
        {
            var r = resources.GetOrCreate(key, () => new TfRecordReaderResource(shared.Length > 0 ? shared : op.Name));
            if (r is not TfRecordReaderResource)
                throw new InvalidArgumentException($"Shared reader '{shared}' is not a TFRecordReader");
            ctx.SetOutput(0, new Tensor(DType.Resource, new object[] { r }, [], 1));
        }, OutputKind.External);
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.TFRecordReader()</c>: a TFRecordReaderV2 node (its handle); read with <see cref="ReaderRead"/>.</summary>
    public Output TFRecordReader(string? sharedName = null, string? name = null) =>
        AddOp(TFRecordReaderV2Spec.OpType, [], name, attrs: [new("shared_name", Attr.String(sharedName ?? ""))])[0];
}
