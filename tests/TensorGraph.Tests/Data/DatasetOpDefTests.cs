using TensorGraph.Ops;

namespace TensorGraph.Tests.Data;

/// <summary>
/// The tf.data ops' OpDefs against TF's registrations (tensorflow/core/ops/dataset_ops.cc; the TF 1.x
/// op catalog in ../shared/reference does not list them): argument names and order, attrs and
/// is_stateful. An attr TF registers that the OpDef does not export must be declared optional
/// (accepted on import, default used), as for attrs TF added around and after 1.15.
/// </summary>
public class DatasetOpDefTests
{
    private sealed record TfOp(string[] Inputs, string[] Outputs, string[] Attrs, bool Stateful = false);

    private static readonly string[] Elem = ["output_types", "output_shapes"];

    private static readonly Dictionary<string, TfOp> Tf = new()
    {
        ["TensorDataset"] = new(["components"], ["handle"], ["Toutput_types", "output_shapes"], true),
        ["TensorSliceDataset"] = new(["components"], ["handle"], ["Toutput_types", "output_shapes"], true),
        ["RangeDataset"] = new(["start", "stop", "step"], ["handle"], Elem, true),
        ["TFRecordDataset"] = new(["filenames", "compression_type", "buffer_size"], ["handle"], [], true),
        ["ZipDataset"] = new(["input_datasets"], ["handle"], [.. Elem, "N"]),
        ["RepeatDataset"] = new(["input_dataset", "count"], ["handle"], Elem),
        ["TakeDataset"] = new(["input_dataset", "count"], ["handle"], Elem),
        ["SkipDataset"] = new(["input_dataset", "count"], ["handle"], Elem),
        ["PrefetchDataset"] = new(["input_dataset", "buffer_size"], ["handle"], [.. Elem, "slack_period", "legacy_autotune"]),
        ["BatchDatasetV2"] = new(["input_dataset", "batch_size", "drop_remainder"], ["handle"], ["parallel_copy", .. Elem]),
        ["BatchDataset"] = new(["input_dataset", "batch_size"], ["handle"], Elem),
        ["PaddedBatchDatasetV2"] = new(["input_dataset", "batch_size", "padded_shapes", "padding_values", "drop_remainder"], ["handle"],
            ["parallel_copy", "Toutput_types", "output_shapes", "N"]),
        ["ShuffleDataset"] = new(["input_dataset", "buffer_size", "seed", "seed2"], ["handle"], ["reshuffle_each_iteration", .. Elem]),
        ["MapDataset"] = new(["input_dataset", "other_arguments"], ["handle"], ["f", "Targuments", .. Elem, "use_inter_op_parallelism", "preserve_cardinality"]),
        ["ParallelMapDataset"] = new(["input_dataset", "other_arguments", "num_parallel_calls"], ["handle"],
            ["f", "Targuments", .. Elem, "use_inter_op_parallelism", "sloppy", "preserve_cardinality"]),
        ["ParallelMapDatasetV2"] = new(["input_dataset", "other_arguments", "num_parallel_calls"], ["handle"],
            ["f", "Targuments", .. Elem, "use_inter_op_parallelism", "deterministic", "preserve_cardinality", "metadata"]),
        ["FilterDataset"] = new(["input_dataset", "other_arguments"], ["handle"], ["predicate", "Targuments", .. Elem]),
        ["OptimizeDataset"] = new(["input_dataset", "optimizations"], ["handle"], [.. Elem, "optimization_configs"]),
        ["ModelDataset"] = new(["input_dataset"], ["handle"], ["algorithm", "cpu_budget", .. Elem]),
        ["IteratorV2"] = new([], ["handle"], ["shared_name", "container", .. Elem]),
        ["Iterator"] = new([], ["handle"], ["shared_name", "container", .. Elem]),
        ["MakeIterator"] = new(["dataset", "iterator"], [], []),
        ["OneShotIterator"] = new([], ["handle"], ["dataset_factory", .. Elem, "container", "shared_name"], true),
        ["IteratorGetNext"] = new(["iterator"], ["components"], Elem),
        ["IteratorToStringHandle"] = new(["resource_handle"], ["string_handle"], []),
        ["IteratorFromStringHandleV2"] = new(["string_handle"], ["resource_handle"], Elem),
    };

    private static IEnumerable<string> Ops => Tf.Keys.Order(StringComparer.Ordinal);

    [TestCaseSource(nameof(Ops))]
    public void OpDefMatchesTensorFlow(string type)
    {
        var tf = Tf[type];
        var def = OpCatalog.GetOpDef(type);
        Assert.That(def.InputArg.Select(a => a.Name), Is.EqualTo(tf.Inputs), "inputs");
        Assert.That(def.OutputArg.Select(a => a.Name), Is.EqualTo(tf.Outputs), "outputs");
        Assert.That(def.IsStateful, Is.EqualTo(tf.Stateful), "is_stateful");
        var exported = def.Attr.Select(a => a.Name).ToArray();
        Assert.That(exported, Is.SubsetOf(tf.Attrs), "every exported attr is TF's");
        var spec = OpRegistry.All.Single(s => s.Type == type);
        foreach (var missing in tf.Attrs.Except(exported))
            Assert.That(spec.Attrs.SingleOrDefault(a => a.Name == missing)?.Optional, Is.True, $"TF's attr '{missing}' is accepted as optional");
    }

    [Test]
    public void DatasetsAreVariantsAndIteratorsResources()
    {
        Assert.That(OpCatalog.GetOpDef("BatchDatasetV2").OutputArg[0].Type, Is.EqualTo(Proto.DataType.DtVariant));
        Assert.That(OpCatalog.GetOpDef("ZipDataset").InputArg[0].NumberAttr, Is.EqualTo("N"));
        Assert.That(OpCatalog.GetOpDef("IteratorV2").OutputArg[0].Type, Is.EqualTo(Proto.DataType.DtResource));
        Assert.That(OpCatalog.GetOpDef("OneShotIterator").Attr.Single(a => a.Name == "dataset_factory").Type, Is.EqualTo("func"));
        Assert.That(OpCatalog.GetOpDef("ShuffleDataset").Attr.Single(a => a.Name == "reshuffle_each_iteration").DefaultValue.B, Is.True);
    }
}
