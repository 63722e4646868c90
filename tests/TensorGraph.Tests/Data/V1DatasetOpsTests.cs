namespace TensorGraph.Tests.Data;

/// <summary>
/// The v1 tf.data ops that graphs written by TF before 1.8–1.10 hold: BatchDataset (no
/// drop_remainder: the last, smaller batch is kept) and Iterator (positioned by MakeIterator,
/// OutOfRange at the end), as TF 1.15 still runs them.
/// </summary>
public class V1DatasetOpsTests
{
    [Test]
    public void BatchDatasetThroughAnIteratorKeepsTheShortLastBatchThenEnds()
    {
        var g = new Graph();
        var batched = g.BatchDataset(Dataset.Range(g, 5).Variant, g.Constant(Tensor.Scalar(2L)), [DType.Int64], [new Shape(-1)]);
        var iterator = g.Iterator([DType.Int64], [new Shape(-1)]);
        var init = g.MakeIterator(batched, iterator);
        var next = g.IteratorGetNext(iterator, [DType.Int64], [new Shape(-1)])[0];
        using var s = new Session(g);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            s.Run(init);
            Assert.That(s.Run(next).ToArray<long>(), Is.EqualTo(new long[] { 0, 1 }));
            Assert.That(s.Run(next).ToArray<long>(), Is.EqualTo(new long[] { 2, 3 }));
            Assert.That(s.Run(next).ToArray<long>(), Is.EqualTo(new long[] { 4 }));
            Assert.Throws<OutOfRangeException>(() => s.Run(next));
        }
    }

    [Test]
    public void BatchSizeMustBePositiveAndScalar()
    {
        var g = new Graph();
        var zero = g.BatchDataset(Dataset.Range(g, 5).Variant, g.Constant(Tensor.Scalar(0L)), [DType.Int64], [new Shape(-1)]);
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(zero))!;
        Assert.That(e.Message, Does.Contain("Batch size must be greater than zero"));
        Assert.Throws<InvalidArgumentException>(() => g.BatchDataset(Dataset.Range(g, 5).Variant, g.Constant(new[] { 1L, 2L }), [DType.Int64], [new Shape(-1)]));
    }
}
