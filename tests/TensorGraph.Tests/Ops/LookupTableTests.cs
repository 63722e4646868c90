using TensorGraph.Ops;

namespace TensorGraph.Tests.Ops;

/// <summary>
/// HashTableV2, LookupTableImportV2 and LookupTableFindV2 with TF 1.15's semantics
/// (tensorflow/core/kernels/lookup_table_op.cc, initializable_lookup_table.cc): a table filled
/// once, found values shaped like the keys with the default for absent keys, and TF's errors.
/// </summary>
public class LookupTableTests
{
    [Test]
    public void OpDefsAreTensorFlows()
    {
        // tensorflow/core/ops/lookup_ops.cc (1.15).
        var table = OpCatalog.GetOpDef("HashTableV2");
        Assert.That(table.InputArg, Is.Empty);
        Assert.That(table.OutputArg.Select(a => a.Name), Is.EqualTo(new[] { "table_handle" }));
        Assert.That(table.Attr.Select(a => a.Name), Is.EquivalentTo(new[] { "container", "shared_name", "use_node_name_sharing", "key_dtype", "value_dtype" }));
        Assert.That(table.IsStateful, Is.True);
        var import = OpCatalog.GetOpDef("LookupTableImportV2");
        Assert.That(import.InputArg.Select(a => a.Name), Is.EqualTo(new[] { "table_handle", "keys", "values" }));
        Assert.That(import.OutputArg, Is.Empty);
        Assert.That(import.Attr.Select(a => a.Name), Is.EquivalentTo(new[] { "Tin", "Tout" }));
        var find = OpCatalog.GetOpDef("LookupTableFindV2");
        Assert.That(find.InputArg.Select(a => a.Name), Is.EqualTo(new[] { "table_handle", "keys", "default_value" }));
        Assert.That(find.OutputArg.Select(a => a.Name), Is.EqualTo(new[] { "values" }));
        Assert.That(find.Attr.Select(a => a.Name), Is.EquivalentTo(new[] { "Tin", "Tout" }));
    }

    [Test]
    public void FindGivesEachKeysValueOrTheDefaultShapedLikeTheKeys()
    {
        var g = new Graph();
        var t = g.HashTableV2(DType.String, DType.Int64);
        var init = g.LookupTableImportV2(t, g.Constant(new[] { "W", "L" }), g.Constant(new[] { 0L, 1L }));
        var keys = g.Placeholder(DType.String, new Shape(-1, 1), "keys");
        var found = g.LookupTableFindV2(t, keys, g.Constant(Tensor.Scalar(-1L)));
        Assert.That(found.Shape, Is.EqualTo(new Shape(-1, 1)));
        using var s = new Session(g);
        var e = Assert.Throws<FailedPreconditionException>(() => s.Run(found, new FeedDict { [keys] = Tensor.Create(new[] { "W" }, 1, 1) }))!;
        Assert.That(e.Message, Does.Contain("Table not initialized."));
        s.Run(init);
        var v = s.Run(found, new FeedDict { [keys] = Tensor.Create(new[] { "L", "W", "D", "L" }, 4, 1) });
        Assert.That(v.Dims.ToArray(), Is.EqualTo(new[] { 4, 1 }));
        Assert.That(v.ToArray<long>(), Is.EqualTo(new long[] { 1, 0, -1, 1 }));
        // The same entries again are accepted (TF re-running an initializer); others are not.
        s.Run(init);
        var other = g.LookupTableImportV2(t, g.Constant(new[] { "W" }), g.Constant(new[] { 5L }));
        var again = Assert.Throws<FailedPreconditionException>(() => s.Run(other))!;
        Assert.That(again.Message, Does.Contain("Table was already initialized with different data."));
    }

    [Test]
    public void IntegerKeysToStringsAsAnIndexToStringTable()
    {
        // What index_to_string_table_from_tensor builds: range(n) → vocabulary, default "UNK".
        var g = new Graph();
        var t = g.HashTableV2(DType.Int64, DType.String);
        var init = g.LookupTableImportV2(t, g.Constant(new[] { 0L, 1L }), g.Constant(new[] { "W", "L" }));
        var found = g.LookupTableFindV2(t, g.Constant(new[] { 1L, 0L, 7L }), g.Constant(Tensor.Scalar("UNK")));
        using var s = new Session(g);
        s.Run(init);
        Assert.That(s.Run(found).ValueEquals(new[] { "L", "W", "UNK" }), Is.True);
    }

    [Test]
    public void BadImportsAndFindsAreTypedErrors()
    {
        var g = new Graph();
        var t = g.HashTableV2(DType.String, DType.Int64);
        var duplicate = g.LookupTableImportV2(t, g.Constant(new[] { "a", "a" }), g.Constant(new[] { 1L, 2L }));
        var shapes = g.LookupTableImportV2(t, g.Constant(new[] { "a", "b" }), g.Constant(new[] { 1L }));
        var wrongValues = g.LookupTableImportV2(t, g.Constant(new[] { "a" }), g.Constant(new[] { 1 }));
        var wrongKeys = g.LookupTableFindV2(t, g.Constant(new[] { 1L }), g.Constant(Tensor.Scalar(0L)));
        using var s = new Session(g);
        var e = Assert.Throws<FailedPreconditionException>(() => s.Run(duplicate))!;
        Assert.That(e.Message, Does.Contain("HashTable has different value for same key. Key a has 1 and trying to add value 2"));
        Assert.Throws<InvalidArgumentException>(() => s.Run(shapes));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => s.Run(wrongValues))!.Message, Does.Contain("Value must be type int64 but got int32"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => s.Run(wrongKeys))!.Message, Does.Contain("Key must be type string but got int64"));
        Assert.Throws<InvalidArgumentException>(() => g.LookupTableFindV2(t, g.Constant(new[] { "a" }), g.Constant(new[] { 0L, 1L })));
    }

    [Test]
    public void TablesAreSharedByNameAndOtherwisePerNode()
    {
        var g = new Graph();
        var a = g.HashTableV2(DType.String, DType.Int64, sharedName: "vocab");
        var b = g.HashTableV2(DType.String, DType.Int64, sharedName: "vocab");
        var own = g.HashTableV2(DType.String, DType.Int64);
        var init = g.LookupTableImportV2(a, g.Constant(new[] { "x" }), g.Constant(new[] { 3L }));
        var viaB = g.LookupTableFindV2(b, g.Constant(new[] { "x" }), g.Constant(Tensor.Scalar(0L)));
        var viaOwn = g.LookupTableFindV2(own, g.Constant(new[] { "x" }), g.Constant(Tensor.Scalar(0L)));
        using var s = new Session(g);
        s.Run(init);
        Assert.That(s.Run(viaB).ToArray<long>(), Is.EqualTo(new long[] { 3 }));
        Assert.Throws<FailedPreconditionException>(() => s.Run(viaOwn));
    }
}
