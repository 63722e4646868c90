namespace TensorGraph.Serialization;

/// <summary>
/// How <see cref="Graph.Import"/> (and the loaders built on it) treats a graph it cannot fully
/// run. By default import is lenient: a node whose op type TensorGraph does not implement is kept
/// as an inert record (<see cref="Operation.IsInert"/>), exported unchanged, and only a run whose
/// pruned plan needs it fails.
/// </summary>
public sealed class ImportOptions
{
    /// <summary>The default, lenient options.</summary>
    public static ImportOptions Lenient { get; } = new();

    /// <summary>Options that refuse a graph with op types TensorGraph does not implement.</summary>
    public static ImportOptions StrictOptions { get; } = new() { Strict = true };

    /// <summary>
    /// Refuse the whole graph when it uses op types TensorGraph does not implement: an
    /// <see cref="UnimplementedException"/> listing every missing type with a node of it.
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>
    /// Let a node's inputs and control inputs name nodes already in the graph (when no prefix is
    /// given), as the GraphDef of TF's <c>ExtendSession</c> does: it holds only the new nodes.
    /// </summary>
    public bool ReadExistingNodes { get; init; }
}
