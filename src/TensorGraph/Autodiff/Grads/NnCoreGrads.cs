namespace TensorGraph.Autodiff.Grads;

/// <summary>Parsing and string-matching ops carry no gradient.</summary>
internal sealed class ParsingGrads : IGradientSource
{
    public void Register(GradientRegistry r) =>
        r.NotDifferentiable("ParseExample", "ParseExampleV2", "StaticRegexFullMatch", "RegexFullMatch");
}
