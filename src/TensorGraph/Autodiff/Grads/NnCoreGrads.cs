namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradient of DynamicStitch; training and Range ops are not differentiable.</summary>
internal sealed class MiscGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        // TF's _DynamicStitchGrads: indices get none, each data input gathers its rows.
        r.Add("DynamicStitch", c =>
        {
            var g = c.Graph;
            int n = c.Op.NumInputs / 2;
            var result = new Output?[2 * n];
            for (int i = 0; i < n; i++) result[n + i] = g.Gather(c.Grad, c.Input(i));
            return result;
        });
        r.NotDifferentiable("Range", "ApplyGradientDescent", "ApplyMomentum", "ApplyRMSProp", "ApplyCenteredRMSProp", "ApplyAdam", "ApplyAdagrad");
    }
}

/// <summary>Resource-variable ops. Training resource variables (ResourceApply*) is not supported yet.</summary>
internal sealed class ResourceVariableGrads : IGradientSource
{
    public void Register(GradientRegistry r) =>
        r.NotDifferentiable("VarHandleOp", "ReadVariableOp", "AssignVariableOp", "VarIsInitializedOp");
}

/// <summary>Parsing and string-matching ops carry no gradient.</summary>
internal sealed class ParsingGrads : IGradientSource
{
    public void Register(GradientRegistry r) =>
        r.NotDifferentiable("ParseExample", "ParseExampleV2", "StaticRegexFullMatch", "RegexFullMatch");
}
