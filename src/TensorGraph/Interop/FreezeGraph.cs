using TensorGraph.Proto;

namespace TensorGraph.Serialization;

/// <summary>
/// TF's <c>freeze_graph</c> / <c>convert_variables_to_constants</c>: turns a graph plus the
/// variable values held by a session into a self-contained <c>GraphDef</c>.
/// </summary>
public static class FreezeGraph
{
    /// <summary>
    /// Returns the nodes needed to compute <paramref name="outputNodeNames"/> (names of nodes, or
    /// tensors <c>name:k</c>), with every variable among them replaced by a <c>Const</c> of the same
    /// name holding the session's current value (its <c>read</c> Identity keeps reading it).
    /// Initializers, savers and anything else the outputs do not need are dropped.
    /// </summary>
    /// <exception cref="NotFoundException">An output names no node of the graph.</exception>
    /// <exception cref="FailedPreconditionException">A needed variable is not initialized in the session.</exception>
    public static GraphDef Freeze(Graph graph, Session session, string[] outputNodeNames)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(outputNodeNames);
        if (outputNodeNames.Length == 0) throw new InvalidArgumentException("freeze_graph needs at least one output node");

        // Reachability from the outputs, not following past variables.
        var needed = new HashSet<Operation>();
        var stack = new Stack<Operation>();
        foreach (var raw in outputNodeNames)
        {
            var name = raw.Trim();
            if (name.StartsWith('^')) name = name[1..];
            int colon = name.LastIndexOf(':');
            if (colon > 0) name = name[..colon];
            var op = graph.TryGetOperation(name) ?? throw new NotFoundException($"Output node '{raw}' is not in the graph");
            if (needed.Add(op)) stack.Push(op);
        }
        while (stack.TryPop(out var op))
        {
            if (op.Spec.IsVariable) continue;
            foreach (var i in op.Inputs) if (needed.Add(i.Op)) stack.Push(i.Op);
            foreach (var c in op.ControlInputs) if (needed.Add(c)) stack.Push(c);
        }

        var def = new GraphDef { Versions = new VersionDef { Producer = Graph.GraphDefVersion } };
        foreach (var op in graph.Operations)
        {
            if (!needed.Contains(op)) continue;
            if (op.Spec.IsVariable)
            {
                var value = session.Run(op[0]);
                var node = new NodeDef { Name = op.Name, Op = ConstSpec.OpType, Device = op.Device };
                node.Attr["dtype"] = new AttrValue { Type = (DataType)(int)value.DType };
                node.Attr["value"] = new AttrValue { Tensor = TensorProtos.ToProto(value) };
                def.Node.Add(node);
                continue;
            }
            var nd = op.ToNodeDef();
            // Ref-typed consumers of variables (Identity reads) take the constant's plain value.
            nd.Attr.Remove("_class");
            def.Node.Add(nd);
        }
        return def;
    }
}
