using TensorGraph.Ops;

namespace TensorGraph.Tests.Architecture.Fixture;

// A family file without a concrete op: op files may use it.
internal static class FixtureFamilyHelper
{
    public static int Arity(OpSpec spec) => spec.Inputs.Count;
}
