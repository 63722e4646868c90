using System.Reflection;

namespace TensorGraph.Keras.Tests;

/// <summary>The Keras room's rules: it references the core only and adds no ops of its own.</summary>
public class RoomTests
{
    [Test]
    public void KerasReferencesTheCoreOnly()
    {
        var asm = typeof(Model).Assembly;
        var refs = asm.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("TensorGraph", StringComparison.Ordinal)).ToArray();
        Assert.That(refs, Is.EqualTo(new[] { "TensorGraph" }));
        Assert.That(asm.GetReferencedAssemblies().Select(a => a.Name), Has.None.StartsWith("System.Net"));
    }

    [Test]
    public void KerasDefinesNoOps()
    {
        var types = typeof(Model).Assembly.GetTypes();
        // No op schema (a subclass of the core's OpSpec); other "…Spec" types such as EstimatorSpec are fine.
        static bool IsOpSpec(Type? t)
        {
            for (; t != null; t = t.BaseType)
                if (t.Name == "OpSpec") return true;
            return false;
        }
        Assert.That(types.Where(IsOpSpec), Is.Empty);
        Assert.That(types.SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)).Where(f => f.Name == "OpType"), Is.Empty);
    }
}
