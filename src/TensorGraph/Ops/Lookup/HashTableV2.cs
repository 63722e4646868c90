using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// HashTableV2: an immutable hash table of <c>key_dtype</c> → <c>value_dtype</c> living in the
/// session under (container, shared_name) — with no shared name, under the node (its own table)
/// — empty until a LookupTableImportV2 fills it (TF's <c>tf.lookup.StaticHashTable</c>).
/// </summary>
internal sealed class HashTableV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
        new("use_node_name_sharing", "bool", Attr.Bool(false)), new("key_dtype", "type"), new("value_dtype", "type"),
    ];

    public const string OpType = "HashTableV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["table_handle: resource"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(DType.Resource, Shape.Scalar);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var keyType = op.GetAttrType("key_dtype");
        var valueType = op.GetAttrType("value_dtype");
        var shared = op.GetAttrString("shared_name");
        if (shared.Length == 0 && op.GetAttrBool("use_node_name_sharing")) shared = op.Name;
        var key = "lookup_table:" + op.GetAttrString("container") + "/" + (shared.Length > 0 ? shared : "\u0001" + op.Name);
        var resources = b.Session.Resources;
        return new LambdaKernel(ctx =>
        {
            var r = resources.GetOrCreate(key, () => new LookupTableResource(shared.Length > 0 ? shared : op.Name, keyType, valueType));
            if (r is not LookupTableResource t)
                throw new InvalidArgumentException($"Shared resource '{shared}' is not a lookup table");
            if (t.KeyType != keyType || t.ValueType != valueType)
                throw new InvalidArgumentException($"Conflicting key/value dtypes {ArgSpec.TfName(keyType)}->{ArgSpec.TfName(valueType)} with {ArgSpec.TfName(t.KeyType)}->{ArgSpec.TfName(t.ValueType)} for table '{t.Name}'");
            ctx.SetOutput(0, t.ToTensor());
        }, OutputKind.External);
    }
}

public sealed partial class Graph
{
    /// <summary>A HashTableV2 node: a table of <paramref name="keyType"/> → <paramref name="valueType"/>, filled by <see cref="LookupTableImportV2"/>.</summary>
    public Output HashTableV2(DType keyType, DType valueType, string sharedName = "", bool useNodeNameSharing = false, string container = "", string? name = null) =>
        AddOp(HashTableV2Spec.OpType, [], name ?? "hash_table", attrs:
        [
            new("key_dtype", Attr.Type(keyType)), new("value_dtype", Attr.Type(valueType)), new("shared_name", Attr.String(sharedName)),
            new("use_node_name_sharing", Attr.Bool(useNodeNameSharing)), new("container", Attr.String(container)),
        ])[0];
}
