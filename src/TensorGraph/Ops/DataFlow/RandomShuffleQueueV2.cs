using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// RandomShuffleQueueV2: dequeues elements in a random order, keeping at least
/// <c>min_after_dequeue</c> elements while open; the order is reproducible given (seed, seed2) ≠ (0, 0).
/// </summary>
internal sealed class RandomShuffleQueueV2Spec : QueueOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("component_types", "list(type)", Minimum: 1), new("shapes", "list(shape)", Attr.Shapes([])),
        new("capacity", "int", Attr.Int(-1)), new("min_after_dequeue", "int", Attr.Int(0)),
        new("seed", "int", Attr.Int(0)), new("seed2", "int", Attr.Int(0)),
        new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
    ];

    public const string OpType = "RandomShuffleQueueV2";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override void CheckAttrs(InferContext c, DType[] types, Shape[] shapes)
    {
        base.CheckAttrs(c, types, shapes);
        long capacity = c.AttrInt("capacity"), min = c.AttrInt("min_after_dequeue");
        if (min < 0) throw c.Error($"min_after_dequeue must be >= 0, got {min}");
        if (capacity >= 0 && min >= capacity)
            throw c.Error($"min_after_dequeue {min} must be < capacity {capacity}");
    }

    protected override QueueResource Create(Operation op, string name, DType[] types, Shape[] shapes, int capacity) =>
        new RandomShuffleQueueResource(OpType, name, types, shapes, capacity,
            checked((int)op.GetAttrInt("min_after_dequeue")), op.GetAttrInt("seed"), op.GetAttrInt("seed2"));
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.RandomShuffleQueue(capacity, min_after_dequeue, dtypes, shapes, seed, shared_name,
    /// name="random_shuffle_queue")</c>: dequeues a uniformly chosen element once more than
    /// <paramref name="minAfterDequeue"/> are held (the bound no longer applies after close). The
    /// seeds follow TF's <c>get_seed</c> from the graph seed and <paramref name="seed"/>; with
    /// neither the order differs from run to run.
    /// </summary>
    public Queue RandomShuffleQueue(int capacity, int minAfterDequeue, DType[] dtypes, Shape[]? shapes = null, int? seed = null,
        string? sharedName = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(dtypes);
        var (s1, s2) = GetSeed(seed);
        if (seed is null && sharedName is not null && Seed is not null)
        {
            // TF 1.15: with a graph seed and a shared name, seed2 depends on those only.
#pragma warning disable CA5351 // TF's own derivation (hashlib.md5), not a security use
            var hash = System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(s1.ToString(System.Globalization.CultureInfo.InvariantCulture) + sharedName));
#pragma warning restore CA5351
            s2 = ((long)hash[0] << 24 | (long)hash[1] << 16 | (long)hash[2] << 8 | hash[3]) & 0x7FFFFFFF;
        }
        var handle = AddOp(RandomShuffleQueueV2Spec.OpType, [], name ?? "random_shuffle_queue", attrs:
        [
            .. QueueAttrs(dtypes, shapes, capacity, sharedName), new("min_after_dequeue", Attr.Int(minAfterDequeue)),
            new("seed", Attr.Int(s1)), new("seed2", Attr.Int(s2)),
        ])[0];
        return new Queue(this, handle, dtypes, shapes ?? []);
    }
}
