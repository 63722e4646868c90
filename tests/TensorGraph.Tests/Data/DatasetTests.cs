using System.IO.Compression;
using Google.Protobuf;
using System.Text;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Data;

/// <summary>
/// tf.data in graph mode: every dataset op's element sequence and the OutOfRange after it, the
/// iterators (initializable, one-shot, string handles), the Dataset builder's static element specs,
/// a GraphDef round trip and a training loop fed by a pipeline.
/// </summary>
[CancelAfter(60_000)]
public class DatasetTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tg-dataset-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs <paramref name="next"/> until OutOfRange (asserting it comes), returning the elements.</summary>
    private static List<Tensor[]> Drain(Session s, Output[] next, int max = 10_000)
    {
        var all = new List<Tensor[]>();
        for (int i = 0; i < max; i++)
        {
            try
            {
                all.Add(s.Run(next));
            }
            catch (OutOfRangeException e)
            {
                Assert.That(e.Message, Does.Contain("End of sequence"));
                // Past the end it stays at the end.
                Assert.That(() => s.Run(next), Throws.TypeOf<OutOfRangeException>());
                return all;
            }
        }
        Assert.Fail($"no OutOfRange after {max} elements");
        return all;
    }

    private static long[] Longs(Dataset ds)
    {
        using var s = new Session(ds.Graph);
        var next = ds.MakeOneShotIterator().GetNext();
        return [.. Drain(s, next).Select(e => e[0].Scalar<long>())];
    }

    [Test]
    public void RangeCountsUpOrDownAndEnds()
    {
        Assert.That(Longs(Dataset.Range(new Graph(), 5)), Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        Assert.That(Longs(Dataset.Range(new Graph(), 2, 11, 3)), Is.EqualTo(new long[] { 2, 5, 8 }));
        Assert.That(Longs(Dataset.Range(new Graph(), 5, 0, -2)), Is.EqualTo(new long[] { 5, 3, 1 }));
        Assert.That(Longs(Dataset.Range(new Graph(), 3, 3)), Is.Empty);
        var r = Dataset.Range(new Graph(), 3);
        Assert.That((r.OutputTypes.Single(), r.OutputShapes.Single().Rank), Is.EqualTo((DType.Int64, 0)));
    }

    [Test]
    public void TensorSlicesYieldRowsOfEveryComponent()
    {
        var g = new Graph();
        var ds = Dataset.FromTensorSlices(g, new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, new long[] { 10, 20, 30 });
        Assert.That(ds.OutputTypes, Is.EqualTo(new[] { DType.Float32, DType.Int64 }));
        Assert.That(ds.OutputShapes.Select(s => s.ToString()), Is.EqualTo(new[] { "(2,)", "()" }));
        var next = ds.MakeOneShotIterator().GetNext();
        Assert.That(next[0].Shape.ToString(), Is.EqualTo("(2,)"));
        using var s = new Session(g);
        var all = Drain(s, next);
        Assert.That(all, Has.Count.EqualTo(3));
        Assert.That(all.Select(e => e[0].ToArray<float>()), Is.EqualTo(new[] { new float[] { 1, 2 }, [3, 4], [5, 6] }));
        Assert.That(all.Select(e => e[1].Scalar<long>()), Is.EqualTo(new long[] { 10, 20, 30 }));
    }

    [Test]
    public void TensorSlicesOfFedTensorsAndMismatchedRows()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int32, new Shape(-1));
        var it = Dataset.FromTensorSlices(g, x).MakeInitializableIterator();
        var next = it.GetNext();
        using var s = new Session(g);
        s.Run(it.Initializer!, new FeedDict { [x] = new[] { 7, 8 } });
        Assert.That(Drain(s, next).Select(e => e[0].Scalar<int>()), Is.EqualTo(new[] { 7, 8 }));

        Assert.That(() => Dataset.FromTensorSlices(g, g.Constant(new[] { 1, 2 }), g.Constant(new[] { 1, 2, 3 })).Variant,
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("0th dimension"));
    }

    [Test]
    public void FromTensorsIsOneElement()
    {
        var g = new Graph();
        var ds = Dataset.FromTensors(g, new float[,] { { 1, 2 }, { 3, 4 } }, Tensor.Scalar("a"));
        Assert.That(ds.OutputShapes[0].ToString(), Is.EqualTo("(2, 2)"));
        using var s = new Session(g);
        var all = Drain(s, ds.MakeOneShotIterator().GetNext());
        Assert.That(all, Has.Count.EqualTo(1));
        Assert.That(all[0][0].ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        Assert.That(all[0][1].ToArray<string>(), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public void BatchKeepsOrDropsTheRemainder()
    {
        var g = new Graph();
        var keep = Dataset.Range(g, 7).Batch(3);
        var drop = Dataset.Range(g, 7).Batch(3, dropRemainder: true);
        Assert.That(keep.OutputShapes[0].ToString(), Is.EqualTo("(?,)"));
        Assert.That(drop.OutputShapes[0].ToString(), Is.EqualTo("(3,)"));
        var nk = keep.MakeOneShotIterator().GetNext();
        var nd = drop.MakeOneShotIterator().GetNext();
        Assert.That(nd[0].Shape.ToString(), Is.EqualTo("(3,)"));
        using var s = new Session(g);
        Assert.That(Drain(s, nk).Select(e => e[0].ToArray<long>()), Is.EqualTo(new[] { new long[] { 0, 1, 2 }, [3, 4, 5], [6] }));
        Assert.That(Drain(s, nd).Select(e => e[0].ToArray<long>()), Is.EqualTo(new[] { new long[] { 0, 1, 2 }, [3, 4, 5] }));
    }

    [Test]
    public void BatchOfRowsStacksThemAndRefusesRaggedElements()
    {
        var g = new Graph();
        var ds = Dataset.FromTensorSlices(g, new int[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }).Batch(2);
        Assert.That(ds.OutputShapes[0].ToString(), Is.EqualTo("(?, 2)"));
        using var s = new Session(g);
        var all = Drain(s, ds.MakeOneShotIterator().GetNext());
        Assert.That(all.Select(e => Shape.FromSpan(e[0].Dims).ToString()), Is.EqualTo(new[] { "(2, 2)", "(1, 2)" }));
        Assert.That(all[0][0].ToArray<int>(), Is.EqualTo(new[] { 1, 2, 3, 4 }));

        // A fed element of unknown static shape batches by its run-time shape.
        var g2 = new Graph();
        var x = g2.Placeholder(DType.Int32, Shape.Unknown);
        var it = Dataset.FromTensors(g2, x).Repeat(2).Batch(2).MakeInitializableIterator();
        var next = it.GetNext();
        using var s2 = new Session(g2);
        s2.Run(it.Initializer!, new FeedDict { [x] = new[] { 1, 2 } });
        Assert.That(s2.Run(next)[0].ToArray<int>(), Is.EqualTo(new[] { 1, 2, 1, 2 }));
    }

    [Test]
    public void PaddedBatchPadsToTheLongestOrTheGivenShape()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int64, new Shape(-1));
        var it = Dataset.FromTensors(g, x).PaddedBatch(2).MakeInitializableIterator();
        var next = it.GetNext();
        Assert.That(next[0].Shape.ToString(), Is.EqualTo("(?, ?)"));
        using var s = new Session(g);
        s.Run(it.Initializer!, new FeedDict { [x] = new long[] { 5, 6, 7 } });
        var one = s.Run(next)[0];
        Assert.That(one.DimsArray, Is.EqualTo(new[] { 1, 3 }));

        var g2 = new Graph();
        var rows = Tensor.FromArray(new long[,] { { 1, 0, 0 }, { 2, 2, 0 }, { 3, 3, 3 } });
        Tensor lens = new long[] { 1, 2, 3 };
        // Rows padded with -1 to a fixed length 4; the scalar lengths become a vector.
        var ds = Dataset.FromTensorSlices(g2, rows, lens)
            .PaddedBatch(2, [new Shape(4), Shape.Scalar], [Tensor.Scalar(-1L), Tensor.Scalar(0L)], dropRemainder: false);
        Assert.That(ds.OutputShapes.Select(sh => sh.ToString()), Is.EqualTo(new[] { "(?, 4)", "(?,)" }));
        using var s2 = new Session(g2);
        var all = Drain(s2, ds.MakeOneShotIterator().GetNext());
        Assert.That(all, Has.Count.EqualTo(2));
        Assert.That(all[0][0].ToArray<long>(), Is.EqualTo(new long[] { 1, 0, 0, -1, 2, 2, 0, -1 }));
        Assert.That(all[1][0].ToArray<long>(), Is.EqualTo(new long[] { 3, 3, 3, -1 }));
        Assert.That(all[1][1].ToArray<long>(), Is.EqualTo(new long[] { 3 }));

        Assert.That(() => Dataset.FromTensorSlices(g2, rows).PaddedBatch(2, [new Shape(2)]),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("not compatible"));
    }

    [Test]
    public void PaddedBatchOfVaryingLengthsPadsEachBatchToItsLongest()
    {
        // Rows of length 2 padded to the batch's longest (2): the values are unchanged, the last batch is short.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, -1));
        var it = Dataset.FromTensorSlices(g, x).PaddedBatch(2, [new Shape(-1)], [Tensor.Scalar(9f)]).MakeInitializableIterator();
        var next = it.GetNext();
        using var s = new Session(g);
        s.Run(it.Initializer!, new FeedDict { [x] = new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } } });
        var all = Drain(s, next);
        Assert.That(all.Select(e => e[0].ToArray<float>()), Is.EqualTo(new[] { new float[] { 1, 2, 3, 4 }, [5, 6] }));
    }

    [Test]
    public void ShuffleIsAPermutationFixedBySeed()
    {
        long[] Run(int seed, long epochs, bool reshuffle = true)
        {
            var g = new Graph();
            return Longs(Dataset.Range(g, 20).Shuffle(5, seed, reshuffle).Repeat(epochs));
        }

        var a = Run(7, 1);
        Assert.That(a.Order(), Is.EqualTo(Enumerable.Range(0, 20).Select(i => (long)i)));
        Assert.That(a, Is.Not.EqualTo(Enumerable.Range(0, 20).Select(i => (long)i)), "shuffled");
        Assert.That(Run(7, 1), Is.EqualTo(a), "same seed, same order");
        Assert.That(Run(8, 1), Is.Not.EqualTo(a), "another seed, another order");
        // A buffer of 5 only moves an element forward by at most 4 places.
        for (int i = 0; i < a.Length; i++) Assert.That(a[i], Is.LessThanOrEqualTo(i + 4));

        var two = Run(7, 2);
        Assert.That(two, Has.Length.EqualTo(40));
        long[] epoch1 = two[..20], epoch2 = two[20..];
        Assert.That(epoch1.Order(), Is.EqualTo(epoch2.Order()));
        Assert.That(epoch1, Is.Not.EqualTo(epoch2), "each epoch reshuffled");
        Assert.That(Run(7, 2), Is.EqualTo(two), "the whole sequence is fixed by the seed");

        var same = Run(7, 2, reshuffle: false);
        long[] same1 = same[..20], same2 = same[20..];
        Assert.That(same1, Is.EqualTo(same2), "without reshuffle_each_iteration the epochs repeat");
    }

    [Test]
    public void ShuffleWithoutSeedsDiffersBetweenSessionsAndReinitializationRepeatsASeededOrder()
    {
        var g = new Graph();
        var it = Dataset.Range(g, 50).Shuffle(50).MakeInitializableIterator();
        var next = it.GetNext();
        long[] Epoch(Session s)
        {
            s.Run(it.Initializer!);
            return [.. Drain(s, next).Select(e => e[0].Scalar<long>())];
        }
        using (var s1 = new Session(g))
        using (var s2 = new Session(g))
        {
            // Nondeterministic: 50! orders, so two draws agreeing would be a broken seed.
            Assert.That(Epoch(s1), Is.Not.EqualTo(Epoch(s2)));
        }

        var g2 = new Graph();
        var it2 = Dataset.Range(g2, 30).Shuffle(30, seed: 3).MakeInitializableIterator();
        var next2 = it2.GetNext();
        using var s = new Session(g2);
        s.Run(it2.Initializer!);
        var first = Drain(s, next2).Select(e => e[0].Scalar<long>()).ToArray();
        s.Run(it2.Initializer!);
        Assert.That(Drain(s, next2).Select(e => e[0].Scalar<long>()), Is.EqualTo(first));
    }

    [Test]
    public void GraphSeedMakesShuffleDeterministic()
    {
        long[] Run()
        {
            var g = new Graph { Seed = 42 };
            return Longs(Dataset.Range(g, 30).Shuffle(30));
        }
        var first = Run();
        var second = Run();
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void RepeatTakeSkipCombine()
    {
        Assert.That(Longs(Dataset.Range(new Graph(), 5).Skip(1).Take(3).Repeat(2)), Is.EqualTo(new long[] { 1, 2, 3, 1, 2, 3 }));
        Assert.That(Longs(Dataset.Range(new Graph(), 3).Repeat().Take(7)), Is.EqualTo(new long[] { 0, 1, 2, 0, 1, 2, 0 }));
        Assert.That(Longs(Dataset.Range(new Graph(), 3).Repeat(2).Skip(4)), Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(Longs(Dataset.Range(new Graph(), 3).Take(-1)), Is.EqualTo(new long[] { 0, 1, 2 }));
        Assert.That(Longs(Dataset.Range(new Graph(), 3).Skip(-1)), Is.Empty);
        Assert.That(Longs(Dataset.Range(new Graph(), 3).Skip(5)), Is.Empty);
        Assert.That(Longs(Dataset.Range(new Graph(), 3).Repeat(0)), Is.Empty);
        Assert.That(Longs(Dataset.Range(new Graph(), 3).Take(0)), Is.Empty);
        // Repeating an empty dataset forever ends instead of looping.
        Assert.That(Longs(Dataset.Range(new Graph(), 0).Repeat()), Is.Empty);
        Assert.That(Longs(Dataset.Range(new Graph(), 4).Prefetch(2)), Is.EqualTo(new long[] { 0, 1, 2, 3 }));
    }

    [Test]
    public void ZipEndsWithTheShortest()
    {
        var g = new Graph();
        var zipped = Dataset.Zip(Dataset.Range(g, 3), Dataset.Range(g, 10, 20), Dataset.FromTensorSlices(g, new[] { 1.5f, 2.5f, 3.5f, 4.5f }));
        Assert.That(zipped.OutputTypes, Is.EqualTo(new[] { DType.Int64, DType.Int64, DType.Float32 }));
        using var s = new Session(g);
        var all = Drain(s, zipped.MakeOneShotIterator().GetNext());
        Assert.That(all.Select(e => (e[0].Scalar<long>(), e[1].Scalar<long>(), e[2].Scalar<float>())),
            Is.EqualTo(new[] { (0L, 10L, 1.5f), (1L, 11L, 2.5f), (2L, 12L, 3.5f) }));
    }

    private string Records(string name, string compression, params string[] records)
    {
        var path = Path.Combine(_dir, name);
        using var fs = File.Create(path);
        Stream s = compression switch
        {
            "ZLIB" => new ZLibStream(fs, CompressionLevel.Optimal),
            "GZIP" => new GZipStream(fs, CompressionLevel.Optimal),
            _ => fs,
        };
        var w = new RecordWriter(s);
        foreach (var r in records) w.Write(Encoding.UTF8.GetBytes(r));
        if (s != fs) s.Dispose();
        return path;
    }

    private static string[] Strings(Dataset ds)
    {
        using var s = new Session(ds.Graph);
        return [.. Drain(s, ds.MakeOneShotIterator().GetNext()).Select(e => e[0].ToArray<string>().Single())];
    }

    [TestCase("")]
    [TestCase("ZLIB")]
    [TestCase("GZIP")]
    public void TFRecordReadsFilesInOrder(string compression)
    {
        var a = Records("a.tfrecord", compression, "one", "two", "");
        var b = Records("b.tfrecord", compression, "three");
        Assert.That(Strings(Dataset.TFRecord(new Graph(), [a, b], compression)), Is.EqualTo(new[] { "one", "two", "", "three" }));
        Assert.That(Strings(Dataset.TFRecord(new Graph(), [b, a], compression, bufferSize: 16)), Is.EqualTo(new[] { "three", "one", "two", "" }));
    }

    [Test]
    public void TFRecordReadsTheTensorFlowWrittenFile()
    {
        var path = Fixtures.File_("tfrust/test_resources/io/expected.tfrecord");
        Assert.That(Strings(Dataset.TFRecord(new Graph(), [path])), Is.EqualTo(new[] { "The Quick Brown Fox" }));
    }

    [Test]
    public void TFRecordErrorsAreTyped()
    {
        var g = new Graph();
        var next = Dataset.TFRecord(g, [Path.Combine(_dir, "missing.tfrecord")]).MakeOneShotIterator().GetNext();
        using (var s = new Session(g)) Assert.That(() => s.Run(next), Throws.TypeOf<NotFoundException>());

        var bad = Path.Combine(_dir, "bad.tfrecord");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);
        var g2 = new Graph();
        var n2 = Dataset.TFRecord(g2, [bad]).MakeOneShotIterator().GetNext();
        using (var s = new Session(g2)) Assert.That(() => s.Run(n2), Throws.TypeOf<DataLossException>());

        var g3 = new Graph();
        var n3 = Dataset.TFRecord(g3, [bad], "SNAPPY").MakeOneShotIterator().GetNext();
        using (var s = new Session(g3)) Assert.That(() => s.Run(n3), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("compression_type"));
    }

    [Test]
    public void InitializableIteratorRestartsAndRefusesGetNextBeforeInit()
    {
        var g = new Graph();
        var it = Dataset.Range(g, 4).MakeInitializableIterator();
        var next = it.GetNext();
        Assert.That(it.Handle.Op.Name, Is.EqualTo("Iterator"));
        Assert.That(next[0].Op.Name, Is.EqualTo("IteratorGetNext"));
        using var s = new Session(g);
        Assert.That(() => s.Run(next), Throws.TypeOf<FailedPreconditionException>().With.Message.Contains("not been initialized")
            .And.Message.Contains("IteratorGetNext"));
        s.Run(it.Initializer!);
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(0));
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(1));
        s.Run(it.Initializer!);
        Assert.That(Drain(s, next).Select(e => e[0].Scalar<long>()), Is.EqualTo(new long[] { 0, 1, 2, 3 }));
        s.Run(it.Initializer!);
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(0), "restarts after the end too");
    }

    [Test]
    public void OneIteratorSwitchesDatasetsAndRefusesAnotherElementType()
    {
        var g = new Graph();
        var train = Dataset.Range(g, 0, 3);
        var test = Dataset.Range(g, 100, 102);
        var handle = g.IteratorV2([DType.Int64], [Shape.Scalar], name: "shared");
        var toTrain = g.MakeIterator(train.Variant, handle);
        var toTest = g.MakeIterator(test.Variant, handle);
        var next = g.IteratorGetNext(handle, [DType.Int64], [Shape.Scalar]);
        using var s = new Session(g);
        s.Run(toTrain);
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(0));
        s.Run(toTest);
        Assert.That(Drain(s, next).Select(e => e[0].Scalar<long>()), Is.EqualTo(new long[] { 100, 101 }));

        var floats = Dataset.FromTensorSlices(g, new[] { 1f });
        var wrong = g.MakeIterator(floats.Variant, handle);
        Assert.That(() => s.Run(wrong), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("expects elements of types [int64]"));
    }

    [Test]
    public void OneShotIteratorStartsByItselfOnceAndRunsThePipelineOnlyThen()
    {
        var g = new Graph();
        var it = Dataset.Range(g, 3).MakeOneShotIterator();
        Assert.That(it.Initializer, Is.Null);
        var next = it.GetNext();
        using var s = new Session(g);
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(0));
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(1));
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(2));
        Assert.That(() => s.Run(next), Throws.TypeOf<OutOfRangeException>());
        // The pipeline's nodes live in the untaken branch: the RangeDataset is behind a Switch.
        var range = g.Operations.Single(o => o.Type == RangeDatasetSpec.OpType);
        Assert.That(range.ControlInputs.Concat(range.Inputs.ToArray().Select(i => i.Op)).Any(o => o.Name.Contains("cond")), Is.True);
        // A new session starts over.
        using var s2 = new Session(g);
        Assert.That(s2.Run(next)[0].Scalar<long>(), Is.EqualTo(0));
    }

    [Test]
    public void GraphDefRoundTripRunsTheSameSequence()
    {
        var g = new Graph();
        var ds = Dataset.Zip(Dataset.Range(g, 10).Skip(2).Shuffle(4, seed: 5).Repeat(2), Dataset.Range(g, 100).Take(30)).Batch(3).Prefetch(1);
        var it = ds.MakeInitializableIterator();
        var next = it.GetNext("next");
        List<Tensor[]> Sequence(Session s, Operation init, Output[] n)
        {
            s.Run(init);
            return Drain(s, n);
        }
        List<Tensor[]> expected;
        using (var s = new Session(g)) expected = Sequence(s, it.Initializer!, next);
        Assert.That(expected, Has.Count.EqualTo(6));

        var bytes = g.ToGraphDef().ToByteArray();
        var g2 = Graph.FromGraphDef(GraphDef.Parser.ParseFrom(bytes), "pipeline.pb");
        var init2 = g2.GetOperation(it.Initializer!.Name);
        Output[] next2 = [g2.GetTensor("next:0"), g2.GetTensor("next:1")];
        Assert.That(next2[0].Shape.ToString(), Is.EqualTo("(?,)"));
        using var s2 = new Session(g2);
        var actual = Sequence(s2, init2, next2);
        Assert.That(actual.Select(e => e[0].ToArray<long>()), Is.EqualTo(expected.Select(e => e[0].ToArray<long>())));
        Assert.That(actual.Select(e => e[1].ToArray<long>()), Is.EqualTo(expected.Select(e => e[1].ToArray<long>())));
    }

    [Test]
    public void MapTransformsEveryElementThroughALibraryFunction()
    {
        // TF: Dataset.from_tensor_slices((images, labels)).map(lambda x, y: (x / 255, tf.cast(y, tf.int64)))
        var g = new Graph();
        var images = Tensor.Create(new byte[] { 0, 255, 51, 102, 204, 255 }, 3, 2);
        var labels = Tensor.Create(new[] { 7, 1, 3 }, 3);
        var ds = Dataset.FromTensorSlices(g, images, labels)
            .Map((f, e) => [f.RealDiv(f.Cast(e[0], DType.Float32), 255f), f.Cast(e[1], DType.Int64)])
            .Batch(2);
        Assert.That(ds.OutputTypes, Is.EqualTo(new[] { DType.Float32, DType.Int64 }));
        Assert.That(ds.OutputShapes.Select(x => x.ToString()), Is.EqualTo(new[] { "(?, 2)", "(?,)" }));
        var next = ds.MakeOneShotIterator().GetNext("next");
        Assert.That(g.Library!.Function.Select(f => f.Signature.Name), Does.Contain("Dataset_map_0"));
        using var s = new Session(g);
        var all = Drain(s, next);
        Assert.That(all, Has.Count.EqualTo(2));
        Assert.That(all[0][0].ToArray<float>(), Is.EqualTo(new[] { 0f, 1f, 0.2f, 0.4f }).Within(1e-7));
        Assert.That(all[1][0].ToArray<float>(), Is.EqualTo(new[] { 0.8f, 1f }).Within(1e-7));
        Assert.That(all.SelectMany(e => e[1].ToArray<long>()), Is.EqualTo(new[] { 7L, 1, 3 }));
    }

    [Test]
    public void FilterKeepsTheElementsItsPredicateAccepts()
    {
        var g = new Graph();
        var ds = Dataset.Range(g, 20).Filter((f, e) => f.Equal(f.FloorMod(e[0], 3L), 0L)).Map((f, e) => [f.Multiply(e[0], 10L)]);
        var it = ds.MakeInitializableIterator();
        var next = it.GetNext();
        using var s = new Session(g);
        s.Run(it.Initializer!);
        Assert.That(Drain(s, next).Select(e => e[0].Scalar<long>()), Is.EqualTo(new[] { 0L, 30, 60, 90, 120, 150, 180 }));
        // Two maps in one graph get two functions.
        Assert.That(g.Library!.Function.Select(f => f.Signature.Name), Is.EquivalentTo(new[] { "Dataset_filter_0", "Dataset_map_0" }));
        Assert.Throws<InvalidArgumentException>(() => Dataset.Range(g, 3).Filter((f, e) => e[0]));
    }

    [Test]
    public void MapAndFilterRoundTripThroughGraphDefWithTheirFunctions()
    {
        var g = new Graph();
        var ds = Dataset.Range(g, 10).Filter((f, e) => f.Less(e[0], 5L)).Map((f, e) => [f.Square(e[0]), f.Cast(e[0], DType.Float64)]);
        ds.MakeOneShotIterator().GetNext("next");
        var g2 = Graph.FromGraphDef(GraphDef.Parser.ParseFrom(g.ToGraphDef().ToByteArray()), "pipeline.pb");
        Assert.That(g2.ToGraphDef().ToByteArray(), Is.EqualTo(g.ToGraphDef().ToByteArray()), "the round trip is byte-identical");
        using var s = new Session(g2);
        var all = Drain(s, [g2.GetTensor("next:0"), g2.GetTensor("next:1")]);
        Assert.That(all.Select(e => e[0].Scalar<long>()), Is.EqualTo(new[] { 0L, 1, 4, 9, 16 }));
        Assert.That(all.Select(e => e[1].Scalar<double>()), Is.EqualTo(new[] { 0.0, 1, 2, 3, 4 }));
    }

    [Test]
    public void AMapFunctionReturningTheWrongDtypeFailsNamingTheNode()
    {
        // A hand-built MapDataset whose declared output_types disagree with its function.
        var g = new Graph();
        var f = g.DefineFunction("twice", [DType.Int64], (fg, a) => [fg.Multiply(a[0], 2L)], [Shape.Scalar]);
        var map = g.MapDataset(Dataset.Range(g, 3).Variant, [], f.Name, [DType.Int32], [Shape.Scalar], name: "bad_map");
        var it = g.IteratorV2([DType.Int32], [Shape.Scalar]);
        var init = g.MakeIterator(map, it);
        var next = g.IteratorGetNext(it, [DType.Int32], [Shape.Scalar]);
        using var s = new Session(g);
        s.Run(init);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(next))!;
        Assert.That(e.Message, Does.Contain("Function twice of 'bad_map' returned int64 for component 0, but the dataset declares int32"));
    }

    [Test]
    public void OneShotGraphRoundTripsThroughGraphDef()
    {
        var g = new Graph();
        Dataset.FromTensorSlices(g, new[] { 3, 1, 4 }).Repeat(2).MakeOneShotIterator().GetNext("next");
        var g2 = Graph.FromGraphDef(GraphDef.Parser.ParseFrom(g.ToGraphDef().ToByteArray()));
        using var s = new Session(g2);
        Assert.That(Drain(s, [g2.GetTensor("next:0")]).Select(e => e[0].Scalar<int>()), Is.EqualTo(new[] { 3, 1, 4, 3, 1, 4 }));
    }

    [Test]
    public void FeedableIteratorReadsWhicheverIteratorTheHandleNames()
    {
        var g = new Graph();
        var a = Dataset.Range(g, 0, 3).MakeInitializableIterator();
        var b = Dataset.Range(g, 10, 13).MakeInitializableIterator(name: "b");
        var handle = g.Placeholder(DType.String, Shape.Scalar);
        var feedable = Iterator.FromStringHandle(handle, [DType.Int64], [Shape.Scalar]);
        var next = feedable.GetNext();
        using var s = new Session(g);
        s.Run([a.Initializer!, b.Initializer!]);
        var ha = s.Run(a.StringHandle());
        var hb = s.Run(b.StringHandle());
        Assert.That(s.Run(next[0], new FeedDict { [handle] = ha }).Scalar<long>(), Is.EqualTo(0));
        Assert.That(s.Run(next[0], new FeedDict { [handle] = hb }).Scalar<long>(), Is.EqualTo(10));
        Assert.That(s.Run(next[0], new FeedDict { [handle] = ha }).Scalar<long>(), Is.EqualTo(1));
        Assert.That(() => s.Run(next[0], new FeedDict { [handle] = Tensor.Scalar("iterator:/nothing") }), Throws.TypeOf<NotFoundException>());
    }

    [Test]
    public void IteratorStateLivesInTheSessionAndClosesWithIt()
    {
        var g = new Graph();
        var it = Dataset.Range(g, 100).MakeInitializableIterator();
        var next = it.GetNext();
        var s = new Session(g);
        s.Run(it.Initializer!);
        s.Run(next);
        Assert.That(s.Run(next)[0].Scalar<long>(), Is.EqualTo(1), "a second run continues where the first stopped");
        s.Dispose();
        Assert.That(() => s.Run(next), Throws.TypeOf<ObjectDisposedException>());
        using var s2 = new Session(g);
        Assert.That(() => s2.Run(next), Throws.TypeOf<FailedPreconditionException>(), "another session has its own iterator");
    }

    [Test]
    public void BuilderValidatesArguments()
    {
        var g = new Graph();
        var r = Dataset.Range(g, 3);
        Assert.That(() => r.Batch(0), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(() => r.Shuffle(0), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(() => Dataset.Range(g, 0, 3, 0), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(() => Dataset.FromTensorSlices(g, Tensor.Scalar(1)), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(() => g.RepeatDataset(r.Variant, g.Constant(new long[] { 1, 2 }), [DType.Int64], [Shape.Scalar]),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("must be rank 0 but is rank 1 for input 'count'"));
        Assert.That(() => g.RepeatDataset(g.Constant(1L), g.Constant(1L), [DType.Int64], [Shape.Scalar]),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Expected a dataset (variant)"));
        // A zero batch size fed at run time is the kernel's error.
        var n = g.Placeholder(DType.Int64, Shape.Scalar);
        var ds = g.BatchDatasetV2(r.Variant, n, g.Constant(false), [DType.Int64], [new Shape(-1)]);
        var it = g.IteratorV2([DType.Int64], [new Shape(-1)]);
        var make = g.MakeIterator(ds, it);
        using var s = new Session(g);
        Assert.That(() => s.Run(make, new FeedDict { [n] = Tensor.Scalar(0L) }),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Batch size must be greater than zero"));
    }

    [Test]
    public void TrainingLoopFedByAShuffledBatchedRepeatedPipelineConverges()
    {
        // y = 2x - 1 on 64 points; TF's canonical linear-regression input pipeline.
        var xs = new float[64, 1];
        var ys = new float[64, 1];
        for (int i = 0; i < 64; i++)
        {
            xs[i, 0] = (i - 32) / 16f;
            ys[i, 0] = 2 * xs[i, 0] - 1;
        }
        var g = new Graph { Seed = 1 };
        var next = Dataset.FromTensorSlices(g, xs, ys).Shuffle(64, seed: 2).Batch(8).Repeat().MakeOneShotIterator().GetNext();
        Assert.That(next[0].Shape.ToString(), Is.EqualTo("(?, 1)"));
        var w = g.Variable(new float[,] { { 0 } }, "w");
        var b = g.Variable(new float[] { 0 }, "b");
        var pred = g.MatMul(next[0], w) + b;
        var loss = g.ReduceMean(g.Square(pred - next[1]));
        var train = new GradientDescentOptimizer(0.1).Minimize(loss);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        for (int step = 0; step < 400; step++) s.Run(train);
        var (wv, bv) = s.Run(w, b);
        Assert.That(wv.ToArray<float>()[0], Is.EqualTo(2).Within(1e-3));
        Assert.That(bv.ToArray<float>()[0], Is.EqualTo(-1).Within(1e-3));
    }

    [Test]
    public void ElementTransformSlotMapsAndDropsElements()
    {
        // The slot MapDataset/FilterDataset kernels fill with a graph function: here a C# transform over a dataset a run made.
        var g = new Graph();
        var variant = Dataset.Range(g, 6).Variant;
        using var s = new Session(g);
        var fetched = s.Run(variant);
        Assert.That((fetched.DType, fetched.ToString()), Is.EqualTo((DType.Variant, "<RangeDataset: [int64]>")));
        var range = DatasetBase.Resolve(fetched);
        var mapped = new TransformDataset("MapDataset", range, [DType.Int64], [Shape.Scalar],
            (e, _, _) => e[0].Scalar<long>() % 2 == 0 ? [Tensor.Scalar(e[0].Scalar<long>() * 10)] : null);
        using var it = mapped.MakeIterator();
        var got = new List<long>();
        while (it.GetNext(null!) is { } e) got.Add(e[0].Scalar<long>());
        Assert.That(got, Is.EqualTo(new long[] { 0, 20, 40 }));
        Assert.That(it.GetNext(null!), Is.Null);
    }

    /// <summary>What TF 1.15's Python writes for <c>tf.data.Dataset.range(5).batch(2)</c> and <c>make_initializable_iterator()</c> with the default options (OptimizeDataset, ModelDataset), in text format.</summary>
    private const string Tf115Pipeline = """
        node { name: "start" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 0 } } } }
        node { name: "stop" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 5 } } } }
        node { name: "step" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 1 } } } }
        node { name: "RangeDataset" op: "RangeDataset" input: "start" input: "stop" input: "step"
          attr { key: "output_shapes" value { list { shape {} } } } attr { key: "output_types" value { list { type: DT_INT64 } } } }
        node { name: "batch_size" op: "Const" attr { key: "dtype" value { type: DT_INT64 } } attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: 2 } } } }
        node { name: "drop_remainder" op: "Const" attr { key: "dtype" value { type: DT_BOOL } } attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape {} bool_val: false } } } }
        node { name: "BatchDatasetV2" op: "BatchDatasetV2" input: "RangeDataset" input: "batch_size" input: "drop_remainder"
          attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } } attr { key: "output_types" value { list { type: DT_INT64 } } }
          attr { key: "parallel_copy" value { b: false } } }
        node { name: "optimizations" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
          attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 2 } } string_val: "map_and_batch_fusion" string_val: "noop_elimination" } } } }
        node { name: "OptimizeDataset" op: "OptimizeDataset" input: "BatchDatasetV2" input: "optimizations"
          attr { key: "optimization_configs" value { list { s: "map_vectorization:use_choose_fastest:false" } } }
          attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } } attr { key: "output_types" value { list { type: DT_INT64 } } } }
        node { name: "ModelDataset" op: "ModelDataset" input: "OptimizeDataset" attr { key: "cpu_budget" value { i: 0 } }
          attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } } attr { key: "output_types" value { list { type: DT_INT64 } } } }
        node { name: "Iterator" op: "IteratorV2" attr { key: "container" value { s: "" } } attr { key: "shared_name" value { s: "" } }
          attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } } attr { key: "output_types" value { list { type: DT_INT64 } } } }
        node { name: "MakeIterator" op: "MakeIterator" input: "ModelDataset" input: "Iterator" }
        node { name: "IteratorGetNext" op: "IteratorGetNext" input: "Iterator"
          attr { key: "output_shapes" value { list { shape { dim { size: -1 } } } } } attr { key: "output_types" value { list { type: DT_INT64 } } } }
        versions { producer: 134 }
        """;

    [Test]
    public void ImportedTf115PipelineRuns()
    {
        var g = Graph.FromGraphDef(TextFormat.Parse<GraphDef>(Tf115Pipeline), "pipeline.pbtxt");
        var next = g.GetTensor("IteratorGetNext:0");
        Assert.That(next.Shape.ToString(), Is.EqualTo("(?,)"));
        using var s = new Session(g);
        s.Run(g.GetOperation("MakeIterator"));
        Assert.That(Drain(s, [next]).Select(e => e[0].ToArray<long>()), Is.EqualTo(new[] { new long[] { 0, 1 }, [2, 3], [4] }));
    }
}
