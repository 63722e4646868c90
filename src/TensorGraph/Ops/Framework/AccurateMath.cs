namespace TensorGraph;

/// <summary>log1p and expm1 without the cancellation of the naive formulas.</summary>
internal static class AccurateMath
{
    /// <summary>ln(1 + x): log(u)·x/(u − 1) with u = 1 + x cancels the rounding error of u (Goldberg).</summary>
    public static double Log1p(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        if (double.IsInfinity(u) || u <= 0) return Math.Log(u);
        return Math.Log(u) * x / (u - 1);
    }

    /// <summary>e^x − 1: (u − 1)·x/ln(u) with u = e^x cancels the rounding error of u (Kahan).</summary>
    public static double Expm1(double x)
    {
        if (double.IsNaN(x)) return x;
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        if (um1 == -1 || double.IsInfinity(u)) return um1;
        return um1 * x / Math.Log(u);
    }
}
