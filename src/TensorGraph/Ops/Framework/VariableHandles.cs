namespace TensorGraph;

/// <summary>An op whose output is a resource-variable handle with a declared value shape (VarHandleOp's <c>shape</c> attr).</summary>
internal interface IVariableHandleSource
{
    /// <summary>The value shape <paramref name="op"/> declares for its variable.</summary>
    Shape DeclaredShape(Operation op);
}

/// <summary>What build time knows about the variable behind a resource handle.</summary>
internal static class VariableHandles
{
    /// <summary>The declared shape of the variable <paramref name="handle"/> points at, or unknown when its producer declares none.</summary>
    public static Shape DeclaredShape(Output handle) =>
        handle.Op.Spec is IVariableHandleSource s ? s.DeclaredShape(handle.Op) : Shape.Unknown;
}
