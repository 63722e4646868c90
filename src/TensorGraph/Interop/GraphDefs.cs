using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph;

/// <summary>Importing and exporting TensorFlow <c>GraphDef</c>s and loading/saving graph files.</summary>
public sealed partial class Graph
{
    /// <summary>
    /// Adds the nodes of <paramref name="graphDef"/> to this graph (TF's <c>tf.import_graph_def</c>).
    /// Nodes may come in any order; names get <c>prefix/</c> when <paramref name="prefix"/> is
    /// given; <paramref name="inputMap"/> replaces imported tensors (keys <c>"name"</c> or
    /// <c>"name:k"</c> of the GraphDef) with existing outputs of this graph. Attrs are validated
    /// against the op schemas and missing ones get their defaults. Returns, for each entry of
    /// <paramref name="returnElements"/>, an <see cref="Output"/> for a tensor name
    /// (<c>"op:k"</c>) or an <see cref="Operation"/> for an op name. <paramref name="source"/> names
    /// the graph file the GraphDef was read from: errors about imported nodes cite it
    /// (<c>[node 'dense/MatMul' (MatMul), from model.pb]</c>) where nodes built by code cite a source line.
    /// A node whose op type TensorGraph does not implement is kept as an inert record
    /// (<see cref="Operation.IsInert"/>): it exports as it was read, and only a run that needs it
    /// fails; an implemented node reading one is built when it can be and is inert too when it
    /// cannot. <paramref name="options"/> with <see cref="ImportOptions.Strict"/> refuses such a
    /// graph instead.
    /// </summary>
    /// <exception cref="UnimplementedException">Strict import only: the graph uses op types TensorGraph lacks (all are listed).</exception>
    /// <exception cref="InvalidArgumentException">The graph is malformed (bad names or inputs, cycles, invalid attrs).</exception>
    public object[] Import(GraphDef graphDef, string prefix = "", IDictionary<string, Output>? inputMap = null, string[]? returnElements = null,
        string? source = null, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graphDef);
        return GraphDefImporter.Import(this, graphDef, prefix, inputMap, returnElements, source, options);
    }

    /// <summary>
    /// A new graph holding the nodes of <paramref name="graphDef"/> (see <see cref="Import"/>);
    /// <paramref name="source"/> is the graph file it was read from, if any.
    /// </summary>
    public static Graph FromGraphDef(GraphDef graphDef, string? source = null, ImportOptions? options = null)
    {
        var g = new Graph();
        g.Import(graphDef, source: source, options: options);
        return g;
    }

    /// <summary>True when import builds a runnable node for op type <paramref name="type"/> (it is implemented, perhaps under a newer name).</summary>
    public static bool IsImportableOpType(string type) => GraphDefImporter.IsImportable(type);

    /// <summary>The inert nodes of this graph (see <see cref="Operation.IsInert"/>), in creation order.</summary>
    public IReadOnlyList<Operation> InertOperations => [.. Operations.Where(o => o.IsInert)];

    /// <summary>The graph as a TensorFlow <c>GraphDef</c> (nodes in creation order, attrs sorted by name, producer set, function library if any).</summary>
    public GraphDef ToGraphDef()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = GraphDefVersion } };
        foreach (var op in Operations) g.Node.Add(op.ToNodeDef());
        if (Library is not null) g.Library = Library.Clone();
        return g;
    }

    /// <summary>
    /// Loads a graph file: protobuf text format for <c>.pbtxt</c>/<c>.txt</c>/<c>.textproto</c>/<c>.txtpb</c>
    /// names, binary <c>GraphDef</c> otherwise.
    /// </summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="DataLossException">A binary file is not a valid GraphDef.</exception>
    /// <exception cref="TextFormatException">A text file has a syntax error (position and file named).</exception>
    public static Graph Load(string path, ImportOptions? options = null) => FromGraphDef(ProtoFiles.Read<GraphDef>(path), path, options);

    /// <summary>Writes <see cref="ToGraphDef"/> to <paramref name="path"/>: text format for text extensions (see <see cref="Load"/>), binary otherwise.</summary>
    public void Save(string path) => ProtoFiles.Write(path, ToGraphDef());
}
