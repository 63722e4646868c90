using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph.Tests.Ops;

/// <summary>
/// The declared input and output arguments of every registered op: they parse, their names are
/// TF-style and unique, they agree with what the conformance rows build, and a node with one
/// input too many or too few is rejected by <c>Graph.AddFunctor</c> naming the node.
/// </summary>
public class ArgSchemaTests
{
    private static IEnumerable<string> Types => OpRegistry.Types.Order(StringComparer.Ordinal);

    [TestCaseSource(nameof(Types))]
    public void DeclaredArgumentsAreWellFormed(string type)
    {
        var spec = OpRegistry.Get(type);
        foreach (var args in new[] { spec.Inputs, spec.Outputs })
        {
            Assert.That(args.Select(a => a.Name), Is.Unique, $"{type}: argument names");
            foreach (var a in args)
            {
                Assert.That(a.Name, Does.Match("^[a-z][a-z0-9_]*$"), $"{type}: argument name '{a.Name}'");
                int kinds = (a.Type is null ? 0 : 1) + (a.TypeAttr is null ? 0 : 1) + (a.TypeListAttr is null ? 0 : 1);
                Assert.That(kinds, Is.EqualTo(1), $"{type}.{a.Name}: exactly one of a fixed type, a type attr or a type-list attr");
                foreach (var attr in new[] { a.TypeAttr, a.TypeListAttr, a.NumberAttr })
                {
                    if (attr is not null) Assert.That(spec.Attrs.Select(x => x.Name), Does.Contain(attr), $"{type}.{a.Name}: attr '{attr}'");
                }
            }
        }
    }

    private static IEnumerable<string> Rows => ConformanceTests.Rows.Keys.Order(StringComparer.Ordinal);

    private static Operation Build(string type, out Graph g)
    {
        g = new Graph { Seed = 1 };
        return ConformanceTests.Rows[type](new ConformanceTests.CaseBuilder(g));
    }

    [TestCaseSource(nameof(Rows))]
    public void DeclaredArityMatchesBuiltNode(string type)
    {
        var op = Build(type, out _);
        Assert.Multiple(() =>
        {
            Assert.That(OpSpec.Arity(op.Spec.Inputs, op.AttrMap), Is.EqualTo(op.NumInputs), $"{type}: inputs");
            Assert.That(OpSpec.Arity(op.Spec.Outputs, op.AttrMap), Is.EqualTo(op.NumOutputs), $"{type}: outputs");
            for (int i = 0; i < op.NumOutputs && !op.Spec.Outputs.Any(a => a.IsList); i++)
            {
                var arg = op.Spec.Outputs[i];
                if (arg.Type is { } fixedType) Assert.That(op[i].DType, Is.EqualTo(fixedType), $"{type}: output {arg.Name} dtype");
                if (arg.TypeAttr is { } attr) Assert.That(op[i].DType, Is.EqualTo(op.GetAttrType(attr)), $"{type}: output {arg.Name} dtype (attr {attr})");
            }
        });
    }

    [TestCaseSource(nameof(Rows))]
    public void OneInputTooManyIsRejectedNamingTheNode(string type)
    {
        var op = Build(type, out var g);
        var extra = op.NumInputs > 0 ? op.Inputs[0] : g.Constant(1f);
        Output[] inputs = [.. op.Inputs.ToArray(), extra];
        var e = Assert.Throws<InvalidArgumentException>(() => g.AddOp(type, inputs, "too_many", attrs: op.AttrMap))!;
        Assert.That(e.NodeName, Is.EqualTo("too_many"));
        Assert.That(e.Message, Does.Contain($"do not match {inputs.Length} inputs specified"));
        Assert.That(e.Message, Does.Contain($"[node 'too_many' ({type})"));
        Assert.That(g.TryGetOperation("too_many"), Is.Null);
    }

    [TestCaseSource(nameof(Rows))]
    public void OneInputTooFewIsRejectedNamingTheNode(string type)
    {
        var op = Build(type, out var g);
        if (op.NumInputs == 0)
        {
            Assert.That(op.Spec.Inputs, Is.Empty, $"{type} takes no inputs");
            return;
        }
        Output[] inputs = op.Inputs[..^1].ToArray();
        var e = Assert.Throws<InvalidArgumentException>(() => g.AddOp(type, inputs, "too_few", attrs: op.AttrMap))!;
        Assert.That(e.NodeName, Is.EqualTo("too_few"));
        Assert.That(e.Message, Does.Contain($"do not match {inputs.Length} inputs specified"));
    }

    [Test]
    public void MessageListsTheExpectedTypesAndTheSignature()
    {
        var g = new Graph();
        var a = g.Constant(1f);
        var e = Assert.Throws<InvalidArgumentException>(() =>
            g.AddOp("Add", [a, a, a], "add3", attrs: [new("T", Attr.Type(DType.Float32))]))!;
        Assert.That(e.Message, Does.StartWith("NodeDef expected inputs 'float, float' do not match 3 inputs specified; Op<name=Add; signature=x:T, y:T -> z:T>"));
        Assert.That(e.Message, Does.Contain("[node 'add3' (Add), defined at ArgSchemaTests.cs:"));

        var n = Assert.Throws<InvalidArgumentException>(() =>
            g.AddOp("AddN", [a, a, a], "addn", attrs: [new("N", Attr.Int(2)), new("T", Attr.Type(DType.Float32))]))!;
        Assert.That(n.Message, Does.StartWith("NodeDef expected inputs 'float, float' do not match 3 inputs specified; Op<name=AddN; signature=inputs:N*T -> sum:T>"));
    }

    [Test]
    public void RefArgumentsMakeRefInputsAndOutputs()
    {
        var assign = OpRegistry.Get("Assign");
        Assert.That(assign.IsRefInput(0), Is.True);
        Assert.That(assign.IsRefInput(1), Is.False);
        Assert.That(assign.IsRefOutput(0), Is.True);
        Assert.That(OpRegistry.Get("ApplyAdam").IsRefInput(2), Is.True);
        Assert.That(OpRegistry.Get("ApplyAdam").IsRefInput(3), Is.False);
        Assert.That(OpRegistry.Get("Identity").IsRefOutput(0), Is.False);
        Assert.That(OpRegistry.Get("RefSwitch").IsRefOutput(1), Is.True);
    }
}
