using Google.Protobuf;
using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph;

// While-loop and conditional contexts in a MetaGraphDef (TF's WhileContext/CondContext to_proto
// and from_proto, control_flow_ops.py): the "while_context" and "cond_context" collections hold
// one WhileContextDef/CondContextDef per top-level context, nested contexts inside them. Imported
// contexts give the imported ops what Graph.WhileLoop and Graph.Cond give the ops they build, so
// Gradients builds backprop loops through imported loops.

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>WhileContext.to_proto</c> / <c>CondContext.to_proto</c> for an item of the
    /// <c>while_context</c> or <c>cond_context</c> collection; null for a loop whose building failed
    /// half way, or a backprop loop.
    /// </summary>
    internal static ByteString? ControlFlowContextBytes(ControlFlowContext context) => context switch
    {
        WhileContext w when ToWhileContextDef(w) is { } def => def.ToByteString(),
        CondContext c => ToCondContextDef(c).ToByteString(),
        _ => null,
    };

    private static WhileContextDef? ToWhileContextDef(WhileContext wc)
    {
        if (wc.GradState is not null || wc.Pivot is not { } pivot || wc.PivotForPred is not { } forPred || wc.PivotForBody is not { } forBody) return null;
        var def = new WhileContextDef
        {
            ContextName = wc.Name,
            ParallelIterations = wc.ParallelIterations,
            BackProp = wc.BackProp,
            PivotName = pivot.Name,
            PivotForPredName = forPred.Name,
            PivotForBodyName = forBody.Name,
            ValuesDef = ToValuesDef(wc),
        };
        def.LoopExitNames.AddRange(wc.LoopExits.Select(e => e.Name));
        def.LoopEnterNames.AddRange(wc.LoopEnters.Select(e => e.Name));
        foreach (var nested in wc.Nested)
            if (ToControlFlowContextDef(nested) is { } n) def.NestedContexts.Add(n);
        return def;
    }

    private static CondContextDef ToCondContextDef(CondContext cc)
    {
        var def = new CondContextDef
        {
            ContextName = cc.Name,
            PredName = cc.Pred.Name,
            PivotName = cc.Pivot.Name,
            Branch = cc.Branch,
            ValuesDef = ToValuesDef(cc),
        };
        foreach (var nested in cc.Nested)
            if (ToControlFlowContextDef(nested) is { } n) def.NestedContexts.Add(n);
        return def;
    }

    private static ControlFlowContextDef? ToControlFlowContextDef(ControlFlowContext c) => c switch
    {
        WhileContext w when ToWhileContextDef(w) is { } def => new ControlFlowContextDef { WhileCtxt = def },
        CondContext cc => new ControlFlowContextDef { CondCtxt = ToCondContextDef(cc) },
        _ => null,
    };

    /// <summary>
    /// TF's <c>_to_values_def</c>: the sorted names of the tensors the context has seen (the
    /// outputs of its own ops, and the outside tensors it brought in) and, per outside tensor,
    /// the tensor it became inside.
    /// </summary>
    private static ValuesDef ToValuesDef(ControlFlowContext c)
    {
        var values = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var op in c.Ops)
        {
            // As TF records them: a context's own ops; the ops of conditionals inside it (a
            // CondContext marks its outputs seen by every enclosing context); the Exits of loops
            // directly inside it (ExitResult).
            bool own = ReferenceEquals(op.Context, c);
            if (!own && op.Context is not CondContext
                && !(op.Spec.ControlFlow == ControlFlowRole.Exit && op.Context is WhileContext w && ReferenceEquals(w.Outer, c)))
                continue;
            if (op.Context is CondContext cond && op.Spec.ControlFlow == ControlFlowRole.Switch && cond.Captured.ContainsValue(op[cond.Branch]))
            {
                // A Switch that brought a value into a branch: only the branch's output is seen.
                values.Add(op[cond.Branch].Name);
                continue;
            }
            for (int k = 0; k < op.NumOutputs; k++) values.Add(op[k].Name);
        }
        var def = new ValuesDef();
        foreach (var (outside, inside) in c.Captured)
        {
            values.Add(outside.Name);
            def.ExternalValues[outside.Name] = inside.Name;
        }
        def.Values.AddRange(values);
        return def;
    }

    /// <summary>
    /// TF's <c>WhileContext.from_proto</c> / <c>CondContext.from_proto</c> for one item of the
    /// <c>while_context</c> or <c>cond_context</c> collection: rebuilds the context and its nested
    /// contexts and places the ops named in their values in them. <paramref name="name"/> adds the
    /// import prefix; with one (<paramref name="renamed"/>), the loops' Enters get the new frame
    /// names, as in TF. Returns null when the context's pivots did not import.
    /// </summary>
    internal ControlFlowContext? ImportControlFlowContext(ByteString bytes, bool isWhile, Func<string, string> name, bool renamed,
        List<CondContext> conds)
    {
        try
        {
            return isWhile
                ? ImportWhileContext(WhileContextDef.Parser.ParseFrom(bytes), name, renamed, null, conds)
                : ImportCondContext(CondContextDef.Parser.ParseFrom(bytes), name, renamed, null, conds);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DataLossException(
                $"Collection '{(isWhile ? ControlFlowContext.WhileCollection : ControlFlowContext.CondCollection)}' holds an invalid {(isWhile ? "WhileContextDef" : "CondContextDef")}: {e.Message}", e);
        }
    }

    private WhileContext? ImportWhileContext(WhileContextDef def, Func<string, string> name, bool renamed, ControlFlowContext? outer,
        List<CondContext> conds)
    {
        if (TryTensor(def.PivotName, name) is not { } pivot || TryTensor(def.PivotForPredName, name) is not { } forPred
            || TryTensor(def.PivotForBodyName, name) is not { } forBody)
            return null;
        // Nodes read from the graph rather than created (ImportOptions.ReadExistingNodes) keep their context.
        if (pivot.Op.Context is WhileContext existing && existing.Name == name(def.ContextName)) return null;
        var wc = new WhileContext(name(def.ContextName), def.ParallelIterations > 0 ? def.ParallelIterations : 10, def.BackProp, outer)
        {
            Pivot = pivot,
            PivotForPred = forPred,
            PivotForBody = forBody,
        };
        ImportValues(wc, def.ValuesDef, name);
        foreach (var n in def.LoopExitNames)
            if (TryTensor(n, name) is { } exit) wc.LoopExits.Add(exit);
        if (def.LoopEnterNames.Count > 0)
        {
            foreach (var n in def.LoopEnterNames)
                if (TryTensor(n, name) is { } enter) wc.LoopEnters.Add(enter);
        }
        else
        {
            // Older files name no Enters: the loop variables' are the loop's non-constant Enters.
            wc.LoopEnters.AddRange(wc.Ops.Where(o => ReferenceEquals(o.Context, wc) && o.Spec.ControlFlow == ControlFlowRole.Enter && !o.GetAttrBool("is_constant"))
                .OrderBy(o => o.Name, StringComparer.Ordinal).Select(o => o[0]));
        }
        if (renamed)
        {
            // TF's _init_from_proto with an import scope: the frame is named after the context.
            foreach (var op in wc.Ops)
                if (ReferenceEquals(op.Context, wc) && op.Spec.ControlFlow == ControlFlowRole.Enter) op.AttrMap["frame_name"] = Attr.String(wc.FrameName);
        }
        ImportNested(def.NestedContexts, wc, name, renamed, conds);
        return wc;
    }

    private CondContext? ImportCondContext(CondContextDef def, Func<string, string> name, bool renamed, ControlFlowContext? outer,
        List<CondContext> conds)
    {
        if (TryTensor(def.PredName, name) is not { } pred || TryTensor(def.PivotName, name) is not { } pivot) return null;
        if (pivot.Op.Context is CondContext existing && existing.Name == name(def.ContextName)) return null;
        var cc = new CondContext(name(def.ContextName), pred, pivot, def.Branch, outer);
        ImportValues(cc, def.ValuesDef, name);
        conds.Add(cc);
        ImportNested(def.NestedContexts, cc, name, renamed, conds);
        return cc;
    }

    private void ImportNested(IEnumerable<ControlFlowContextDef> nested, ControlFlowContext outer, Func<string, string> name, bool renamed,
        List<CondContext> conds)
    {
        foreach (var n in nested)
        {
            switch (n.CtxtCase)
            {
                case ControlFlowContextDef.CtxtOneofCase.WhileCtxt: ImportWhileContext(n.WhileCtxt, name, renamed, outer, conds); break;
                case ControlFlowContextDef.CtxtOneofCase.CondCtxt: ImportCondContext(n.CondCtxt, name, renamed, outer, conds); break;
                default: break;
            }
        }
    }

    /// <summary>
    /// TF's <c>_init_values_from_proto</c>: outside tensors map to what they became inside; every
    /// other op named in the values is placed in the context (and so in every enclosing one). A
    /// nested context is imported after its outer one, so its ops end up in the innermost context.
    /// </summary>
    private void ImportValues(ControlFlowContext c, ValuesDef? def, Func<string, string> name)
    {
        if (def is null) return;
        foreach (var (outside, inside) in def.ExternalValues)
        {
            if (TryTensor(outside, name) is { } o && TryTensor(inside, name) is { } i) c.Captured[o] = i;
        }
        foreach (var v in def.Values)
        {
            if (def.ExternalValues.ContainsKey(v)) continue;
            var full = name(v);
            int colon = full.LastIndexOf(':');
            if (TryGetOperation(colon >= 0 ? full[..colon] : full) is { } op) c.Adopt(op);
        }
    }

    /// <summary>
    /// The Merges of imported conditionals get their predicate as <see cref="Cond(Output, Func{Output[]}, Func{Output[]}, string?)"/>
    /// records it (TF's _MergeGrad reads the context of the Merge's first input).
    /// </summary>
    internal void RegisterImportedCondMerges(List<CondContext> conds)
    {
        if (conds.Count == 0) return;
        var set = conds.ToHashSet();
        foreach (var op in Operations)
        {
            if (op.Spec.ControlFlow != ControlFlowRole.Merge || op.NumInputs != 2) continue;
            if (op.Inputs.ToArray().Any(i => i.Op.Spec.ControlFlow == ControlFlowRole.NextIteration)) continue;
            var first = op.Inputs[0].Op;
            var context = first.Spec.ControlFlow == ControlFlowRole.Exit ? first.Context?.Outer : first.Context;
            if (context is CondContext cc && set.Contains(cc))
            {
                lock (_lock) _condPredicates.TryAdd(op, cc.Pred);
            }
        }
    }

    private Output? TryTensor(string tensorName, Func<string, string> name)
    {
        if (string.IsNullOrEmpty(tensorName)) return null;
        var full = name(tensorName);
        int colon = full.LastIndexOf(':');
        int index = 0;
        if (colon >= 0 && !int.TryParse(full.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
            return null;
        var op = TryGetOperation(colon >= 0 ? full[..colon] : full);
        return op is not null && index < op.NumOutputs ? op[index] : null;
    }
}
