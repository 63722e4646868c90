namespace TensorGraph.Autodiff.Grads;

/// <summary>
/// Gradients of the conditional ops, following TF 1.15's control_flow_grad.py for a cond: the
/// gradient of a Switch merges the gradients of its two outputs (the untaken one is dead at run
/// time, and a missing one is ZerosLike of that output, which is dead exactly when the branch is
/// not taken); the gradient of a Merge is a Switch of the incoming gradient on the conditional's
/// predicate, routing it into the branch that ran.
/// </summary>
internal sealed class ControlFlowGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("Switch", SwitchGrad);
        r.Add("RefSwitch", SwitchGrad);
        r.Add("Merge", MergeGrad);
        // Differentiating a while loop needs TF's gradient loop with stacks of forward values,
        // which TensorGraph does not build: say so instead of returning a wrong gradient.
        foreach (var t in new[] { "Enter", "RefEnter", "Exit", "NextIteration", "LoopCond" })
            r.Add(t, WhileLoopGrad);
    }

    private static Output?[] WhileLoopGrad(GradContext c) =>
        throw new UnimplementedException(
            $"Gradients through while loops are not supported: '{c.Op.Name}' ({c.Op.Type}) is part of a while loop between ys and xs" +
            SourceLocation.Suffix(c.Op.Location, c.Op.Name))
        { NodeName = c.Op.Name };

    private static Output?[] SwitchGrad(GradContext c)
    {
        if (c.Grads[0] is not { } gFalse || c.Grads[1] is not { } gTrue) return [null, null];
        return [c.Graph.Merge([gFalse, gTrue], "cond_grad").Output, null];
    }

    private static Output?[] MergeGrad(GradContext c)
    {
        var op = c.Op;
        foreach (var input in op.Inputs)
            if (input.Op.Type == "NextIteration") return WhileLoopGrad(c);
        var result = new Output?[op.NumInputs];
        if (c.Graph.CondPredicateOf(op) is { } registered)
        {
            // Built by Graph.Cond: inputs are (false branch, true branch).
            var (f, t) = c.Graph.Switch(c.Grad, registered, "cond_grad");
            return [f, t];
        }
        Output? pred = null;
        (Output False, Output True)? routed = null;
        for (int i = 0; i < op.NumInputs; i++)
        {
            var (p, port) = GuardOf(op.Inputs[i]) ?? throw new UnimplementedException(
                $"Cannot differentiate Merge '{op.Name}': input {i} ('{op.Inputs[i].Name}') is not guarded by a Switch (only tf.cond-style conditionals are supported)")
            { NodeName = op.Name };
            if (pred is null)
            {
                pred = p;
                routed = c.Graph.Switch(c.Grad, p, "cond_grad");
            }
            else if (Underlying(pred.Value) != Underlying(p))
            {
                throw new UnimplementedException(
                    $"Cannot differentiate Merge '{op.Name}': its inputs are guarded by different predicates ('{pred.Value.Name}' and '{p.Name}')")
                { NodeName = op.Name };
            }
            result[i] = port == 1 ? routed!.Value.True : routed!.Value.False;
        }
        return result;
    }

    /// <summary>The predicate behind Identity ops (<c>cond/pred_id</c> is an Identity of the user's predicate).</summary>
    private static Output Underlying(Output p)
    {
        while (p.Op.Type == "Identity") p = p.Op.Inputs[0];
        return p;
    }

    /// <summary>
    /// The Switch that decides whether <paramref name="t"/> is alive: its predicate and the output
    /// port (0 = false branch, 1 = true branch). Walks back over data and control inputs; nested
    /// conditionals (a Merge on the way) are stepped over by matching them with their Switches.
    /// </summary>
    private static (Output Pred, int Port)? GuardOf(Output t)
    {
        var seen = new HashSet<(Operation, int, int)>();
        var stack = new Stack<(Operation Op, int Port, int Depth)>();
        stack.Push((t.Op, t.Index, 0));
        while (stack.Count > 0)
        {
            var (op, port, depth) = stack.Pop();
            if (!seen.Add((op, port, depth))) continue;
            // A while loop on the way (its Switches read LoopCond, its Merges a NextIteration) is not
            // a conditional: walk through it without counting.
            bool loopSwitch = op.Type is "Switch" or "RefSwitch" && op.Inputs[1].Op.Type == "LoopCond";
            bool loopMerge = op.Type == "Merge" && op.Inputs.ToArray().Any(i => i.Op.Type is "NextIteration" or "RefNextIteration");
            if (op.Type is "Switch" or "RefSwitch" && port >= 0 && !loopSwitch)
            {
                if (depth == 0) return (op.Inputs[1], port);
                depth--;
            }
            else if (op.Type == "Merge" && !loopMerge) depth++;
            for (int i = op.NumInputs - 1; i >= 0; i--) stack.Push((op.Inputs[i].Op, op.Inputs[i].Index, depth));
            foreach (var ctl in op.ControlInputs) stack.Push((ctl, -1, depth));
        }
        return null;
    }
}
