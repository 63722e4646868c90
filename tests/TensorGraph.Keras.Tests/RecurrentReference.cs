namespace TensorGraph.Keras.Tests;

/// <summary>
/// Keras's recurrent cells written out in plain C# (double precision) from tf.keras 1.15's
/// recurrent.py formulas, to check the graphs against: the same weights in, the same numbers out.
/// </summary>
internal static class RecurrentReference
{
    public static double HardSigmoid(double x) => Math.Clamp(0.2 * x + 0.5, 0, 1);

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>A step: input [features], states → output and new states.</summary>
    public delegate (double[] Output, double[][] States) Step(double[] x, double[][] states);

    /// <summary>
    /// Runs <paramref name="step"/> over x [batch, time, features] from zero states (or
    /// <paramref name="initial"/>[state][batch][units]); returns the outputs in processing order
    /// [batch][step][units] and the final states [state][batch][units].
    /// </summary>
    /// With <paramref name="mask"/> ([batch, time], false = padding) a masked step keeps the states
    /// and repeats the previous output (zeros at first), as Keras's masked loop does.
    public static (double[][][] Outputs, double[][][] States) Run(float[] x, int batch, int time, int features, int units, int stateCount, Step step,
        bool goBackwards = false, double[][][]? initial = null, bool[]? mask = null)
    {
        var outputs = new double[batch][][];
        var states = new double[stateCount][][];
        for (int s = 0; s < stateCount; s++) states[s] = new double[batch][];
        for (int b = 0; b < batch; b++)
        {
            var st = new double[stateCount][];
            for (int s = 0; s < stateCount; s++) st[s] = initial is null ? new double[units] : (double[])initial[s][b].Clone();
            outputs[b] = new double[time][];
            for (int k = 0; k < time; k++)
            {
                int t = goBackwards ? time - 1 - k : k;
                var xt = new double[features];
                for (int f = 0; f < features; f++) xt[f] = x[(b * time + t) * features + f];
                if (mask is not null && !mask[b * time + t])
                {
                    outputs[b][k] = k == 0 ? new double[units] : outputs[b][k - 1];
                    continue;
                }
                var (o, ns) = step(xt, st);
                outputs[b][k] = o;
                st = ns;
            }
            for (int s = 0; s < stateCount; s++) states[s][b] = st[s];
        }
        return (outputs, states);
    }

    /// <summary>x · W[:, col0 : col0 + n] for W stored row-major with <paramref name="cols"/> columns.</summary>
    private static double[] Dot(double[] x, float[] w, int cols, int col0, int n)
    {
        var r = new double[n];
        for (int j = 0; j < n; j++)
        {
            double acc = 0;
            for (int i = 0; i < x.Length; i++) acc += x[i] * w[i * cols + col0 + j];
            r[j] = acc;
        }
        return r;
    }

    public static Step SimpleRnn(float[] kernel, float[] recurrent, float[]? bias, int units, Func<double, double> act) => (x, st) =>
    {
        var a = Dot(x, kernel, units, 0, units);
        var r = Dot(st[0], recurrent, units, 0, units);
        var h = new double[units];
        for (int j = 0; j < units; j++) h[j] = act(a[j] + r[j] + (bias?[j] ?? 0));
        return (h, [h]);
    };

    /// <summary>LSTM with gates i, f, c, o; states [h, c].</summary>
    public static Step Lstm(float[] kernel, float[] recurrent, float[]? bias, int units, Func<double, double> act, Func<double, double> recAct) => (x, st) =>
    {
        int u = units, w = 4 * u;
        double[] Gate(int g)
        {
            var a = Dot(x, kernel, w, g * u, u);
            var r = Dot(st[0], recurrent, w, g * u, u);
            for (int j = 0; j < u; j++) a[j] += r[j] + (bias?[g * u + j] ?? 0);
            return a;
        }
        var (zi, zf, zc, zo) = (Gate(0), Gate(1), Gate(2), Gate(3));
        var h = new double[u];
        var c = new double[u];
        for (int j = 0; j < u; j++)
        {
            c[j] = recAct(zf[j]) * st[1][j] + recAct(zi[j]) * act(zc[j]);
            h[j] = recAct(zo[j]) * act(c[j]);
        }
        return (h, [h, c]);
    };

    /// <summary>GRU with gates z, r, h; bias [3u], or [2, 3u] (input row, recurrent row) with reset-after.</summary>
    public static Step Gru(float[] kernel, float[] recurrent, float[]? bias, int units, bool resetAfter, Func<double, double> act, Func<double, double> recAct) => (x, st) =>
    {
        int u = units, w = 3 * u;
        var h0 = st[0];
        double Ib(int i) => bias is null ? 0 : bias[i];
        double Rb(int i) => bias is null || !resetAfter ? 0 : bias[w + i];
        var xz = Dot(x, kernel, w, 0, u);
        var xr = Dot(x, kernel, w, u, u);
        var xh = Dot(x, kernel, w, 2 * u, u);
        var hz = Dot(h0, recurrent, w, 0, u);
        var hr = Dot(h0, recurrent, w, u, u);
        var z = new double[u];
        var r = new double[u];
        for (int j = 0; j < u; j++)
        {
            z[j] = recAct(xz[j] + Ib(j) + hz[j] + Rb(j));
            r[j] = recAct(xr[j] + Ib(u + j) + hr[j] + Rb(u + j));
        }
        double[] rec;
        if (resetAfter)
        {
            var hh0 = Dot(h0, recurrent, w, 2 * u, u);
            rec = new double[u];
            for (int j = 0; j < u; j++) rec[j] = r[j] * (hh0[j] + Rb(2 * u + j));
        }
        else
        {
            var rh = new double[u];
            for (int j = 0; j < u; j++) rh[j] = r[j] * h0[j];
            rec = Dot(rh, recurrent, w, 2 * u, u);
        }
        var h = new double[u];
        for (int j = 0; j < u; j++)
        {
            double hh = act(xh[j] + Ib(2 * u + j) + rec[j]);
            h[j] = z[j] * h0[j] + (1 - z[j]) * hh;
        }
        return (h, [h]);
    };

    /// <summary>Outputs [batch][step][units] in processing order, reversed back in time.</summary>
    public static double[][][] Reversed(double[][][] outputs) => [.. outputs.Select(o => o.Reverse().ToArray())];

    /// <summary>The last processed step's output [batch][units].</summary>
    public static double[][] Last(double[][][] outputs) => [.. outputs.Select(o => o[^1])];

    public static double[] Flatten(double[][][] a) => [.. a.SelectMany(b => b.SelectMany(r => r))];

    public static double[] Flatten(double[][] a) => [.. a.SelectMany(r => r)];
}
