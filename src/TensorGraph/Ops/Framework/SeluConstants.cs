namespace TensorGraph;

/// <summary>The constants of TF's Selu kernels (Klambauer et al.).</summary>
internal static class SeluConstants
{
    public const double Scale = 1.0507009873554804934193349852946;
    public const double Alpha = 1.6732632423543772848170429916717;
    public const double ScaleAlpha = 1.7580993408473768599402175208123;
}
