using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Serialization;

/// <summary>The SaveV2/RestoreV2/MergeV2Checkpoints/ShardedFilename/StringJoin ops, used the way TF's saver graph uses them.</summary>
public class SaveRestoreOpsTests
{
    [Test]
    public void TfStyleSaverSubgraph_RoundTrips()
    {
        using var dir = CheckpointFixtures.Temp();
        var g = new Graph();
        var w = g.Variable(new float[,] { { 1, 2 }, { 3, 4 } }, name: "w");
        var n = g.Variable(new long[] { 7, 8 }, name: "n");
        var s = g.Variable(new[] { "x", "yz" }, name: "s");
        Operation saveOp, restoreAll;
        Output savePath;
        using (g.NameScope("save"))
        {
            var prefix = g.Constant(dir["model"], name: "Const");
            // Sharded save like TF: a temp prefix, ShardedFilename, SaveV2, MergeV2Checkpoints.
            var tmp = g.StringJoin([prefix, g.Constant("_temp_abc/part")], name: "StringJoin");
            var shard = g.ShardedFilename(tmp, g.Constant(0), g.Constant(1), name: "ShardedFilename");
            var names = g.Constant(new[] { "n", "s", "w" }, name: "SaveV2/tensor_names");
            var slices = g.Constant(new[] { "", "", "" }, name: "SaveV2/shape_and_slices");
            var save = g.SaveV2(shard, names, slices, [n.Ref, s.Ref, w.Ref], name: "SaveV2");
            using (g.ControlDependencies(save))
            {
                var merge = g.MergeV2Checkpoints(g.Reshape(shard, [1], name: "checkpoint_prefixes"), prefix, name: "MergeV2Checkpoints");
                using (g.ControlDependencies(merge)) savePath = g.Identity(prefix, name: "control_dependency");
            }
            saveOp = save;
            var restored = g.RestoreV2(prefix, g.Constant(new[] { "n", "s", "w" }, name: "RestoreV2/tensor_names"),
                g.Constant(new[] { "", "", "" }, name: "RestoreV2/shape_and_slices"), [DType.Int64, DType.String, DType.Float32], name: "RestoreV2");
            var a1 = g.Assign(n, restored[0], name: "Assign");
            var a2 = g.Assign(s, restored[1], name: "Assign_1");
            var a3 = g.Assign(w, restored[2], name: "Assign_2");
            using (g.ControlDependencies(a1.Op, a2.Op, a3.Op)) restoreAll = g.NoOp("restore_all");
        }
        using var sess = new Session(g);
        sess.Run(g.GlobalVariablesInitializer());
        var saved = sess.Run(savePath);
        Assert.That(saved.AsSpan<byte[]>()[0], Is.EqualTo(System.Text.Encoding.UTF8.GetBytes(dir["model"])));
        Assert.That(File.Exists(CheckpointFiles.DataFile(dir["model"], 0, 1)), Is.True);
        Assert.That(Directory.Exists(dir["model_temp_abc"]), Is.False, "the temporary directory is removed by the merge");
        using (var r = new CheckpointReader(dir["model"]))
            Assert.That(r.TensorNames, Is.EqualTo(new[] { "n", "s", "w" }));

        sess.Run(g.Assign(w, g.Constant(new float[,] { { 0, 0 }, { 0, 0 } })).Op);
        sess.Run(g.Assign(s, g.Constant(new[] { "", "" })).Op);
        sess.Run(restoreAll);
        Assert.That(sess.Run(w.Value).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        Assert.That(sess.Run(n.Value).ToArray<long>(), Is.EqualTo(new long[] { 7, 8 }));
        Assert.That(sess.Run(s.Value).ValueEquals(new[] { "x", "yz" }), Is.True);
        _ = saveOp;
    }

    [Test]
    public void RestoreV2_WrongDTypeAndMissingKey()
    {
        using var dir = CheckpointFixtures.Temp();
        using (var w = new CheckpointWriter(dir["c"]))
        {
            w.Add("a", new float[] { 1 });
            w.Finish();
        }
        var g = new Graph();
        var bad = g.RestoreV2(g.Constant(dir["c"]), g.Constant(new[] { "a" }), g.Constant(new[] { "" }), [DType.Int32]);
        var missing = g.RestoreV2(g.Constant(dir["c"]), g.Constant(new[] { "zz" }), g.Constant(new[] { "" }), [DType.Float32]);
        using var s = new Session(g);
        Assert.Throws<InvalidArgumentException>(() => s.Run(bad[0]));
        var e = Assert.Throws<NotFoundException>(() => s.Run(missing[0]));
        Assert.That(e!.Message, Does.Contain("zz"));
    }

    [Test]
    public void ShardedFilenameAndStringJoin()
    {
        var g = new Graph();
        var f = g.ShardedFilename(g.Constant("m"), g.Constant(2), g.Constant(10));
        var j = g.StringJoin([g.Constant(new[] { "a", "b" }), g.Constant("x")], "/");
        using var s = new Session(g);
        Assert.That(s.Run(f).ValueEquals("m-00002-of-00010"), Is.True);
        Assert.That(s.Run(j).ValueEquals(new[] { "a/x", "b/x" }), Is.True);
    }

    [Test]
    public void MergeV2Checkpoints_MergesTwoShards()
    {
        using var dir = CheckpointFixtures.Temp();
        foreach (var (p, k) in new[] { ("p0", "a"), ("p1", "b") })
        {
            using var w = new CheckpointWriter(dir[p]);
            w.Add(k, new float[] { k == "a" ? 1 : 2 });
            w.Finish();
        }
        CheckpointMerger.Merge([dir["p0"], dir["p1"]], dir["merged"]);
        using var r = new CheckpointReader(dir["merged"]);
        Assert.That(r.Header.NumShards, Is.EqualTo(2));
        Assert.That(r.GetTensor("a").AsSpan<float>()[0], Is.EqualTo(1f));
        Assert.That(r.GetTensor("b").AsSpan<float>()[0], Is.EqualTo(2f));
        Assert.That(File.Exists(dir["p0.index"]), Is.False);
        Assert.That(File.Exists(CheckpointFiles.DataFile(dir["merged"], 1, 2)), Is.True);
    }

    /// <summary>
    /// RestoreV2 with a shape_and_slice reads that block of the stored tensor (TF's
    /// <c>LookupSlice</c>): <c>"2 3 0,2:1,2"</c> is rows 0–1, columns 1–2 of a [2, 3] tensor;
    /// <c>-</c> takes a whole dimension. A spec whose full shape is not the stored one, or
    /// that does not give every dimension, is an InvalidArgument.
    /// </summary>
    [Test]
    public void RestoreV2_ReadsTheSliceAShapeAndSliceNames()
    {
        using var dir = CheckpointFixtures.Temp();
        using (var w = new CheckpointWriter(dir["c"]))
        {
            w.Add("w", Tensor.Create(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3));
            w.Add("s", Tensor.FromArray(new[] { "a", "b", "c" }));
            w.Finish();
        }
        var g = new Graph();
        Output Restore(string name, string spec, DType t) => g.RestoreV2(g.Constant(dir["c"]), g.Constant(new[] { name }), g.Constant(new[] { spec }), [t])[0];
        var block = Restore("w", "2 3 0,2:1,2", DType.Float32);
        var row = Restore("w", "2 3 1,1:-", DType.Float32);
        var whole = Restore("w", "2 3 -:-", DType.Float32);
        var strings = Restore("s", "3 1,2", DType.String);
        var wrongShape = Restore("w", "3 3 0,3:0,3", DType.Float32);
        var tooFew = Restore("w", "2 3 0,2", DType.Float32);
        var pastEnd = Restore("w", "2 3 1,2:-", DType.Float32);
        using var s = new Session(g);
        var b = s.Run(block);
        Assert.That(b.Dims.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(b.ToArray<float>(), Is.EqualTo(new float[] { 2, 3, 5, 6 }));
        Assert.That(s.Run(row).ToArray<float>(), Is.EqualTo(new float[] { 4, 5, 6 }));
        Assert.That(s.Run(whole).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(s.Run(strings).ValueEquals(new[] { "b", "c" }), Is.True);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(wrongShape))!;
        Assert.That(e.Message, Does.Contain("does not match the shape stored in checkpoint"));
        Assert.Throws<InvalidArgumentException>(() => s.Run(tooFew));
        Assert.Throws<InvalidArgumentException>(() => s.Run(pastEnd));
    }

    /// <summary>
    /// A partitioned variable in a bare GraphDef: its partitions <c>emb/part_0</c> ([2, 3]) and
    /// <c>emb/part_1</c> ([1, 3]) are not checkpoint keys; the graph's saver restores them from
    /// the key <c>emb</c> with the slices <c>"3 3 0,2:0,3"</c> and <c>"3 3 2,1:0,3"</c> (TF's
    /// partitions along axis 0), and RestoreVariableNodes does what that RestoreV2 would.
    /// </summary>
    [Test]
    public void RestoreVariableNodes_GivesPartitionsTheSliceTheGraphsSaverRestores()
    {
        using var dir = CheckpointFixtures.Temp();
        using (var w = new CheckpointWriter(dir["c"]))
        {
            w.Add("emb", Tensor.Create(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 3, 3));
            w.Finish();
        }
        var g = new Graph();
        var p0 = g.Variable(Tensor.Zeros(DType.Float32, 2, 3), "emb/part_0");
        var p1 = g.Variable(Tensor.Zeros(DType.Float32, 1, 3), "emb/part_1");
        using (g.NameScope("save"))
        {
            var restored = g.RestoreV2(g.Constant(dir["c"], name: "Const"), g.Constant(new[] { "emb", "emb" }, name: "RestoreV2/tensor_names"),
                g.Constant(new[] { "3 3 0,2:0,3", "3 3 2,1:0,3" }, name: "RestoreV2/shape_and_slices"), [DType.Float32, DType.Float32], name: "RestoreV2");
            g.Assign(p0, g.Identity(restored[0]), name: "Assign");
            g.Assign(p1, restored[1], name: "Assign_1");
        }
        var imported = Graph.FromGraphDef(g.ToGraphDef());
        using var s = new Session(imported);
        Assert.That(Saver.RestoreVariableNodes(s, dir["c"]), Is.EqualTo(2));
        Assert.That(s.Run(imported.GetTensor("emb/part_0:0")).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(s.Run(imported.GetTensor("emb/part_1:0")).ToArray<float>(), Is.EqualTo(new float[] { 7, 8, 9 }));
    }
}
