namespace TensorGraph.Fuzz;

/// <summary>
/// Delta-debugging shrink of a failing case: repeatedly removes chunks (halves, quarters, … single
/// bytes) from each part and keeps a removal when the case still fails with the same signature,
/// then tries zeroing bytes. Bounded by a number of runs.
/// </summary>
internal static class Minimizer
{
    public static FuzzInput Minimize(FuzzTarget target, FuzzInput input, string signature, string scratch, Limits limits, int maxRuns = 3000) =>
        Minimize(target, input, r => r.Signature == signature, scratch, limits, maxRuns);

    /// <summary>Shrinks while <paramref name="keep"/> holds for the result (e.g. an error message that a fixed bug now gives).</summary>
    public static FuzzInput Minimize(FuzzTarget target, FuzzInput input, Func<CaseResult, bool> keep, string scratch, Limits limits, int maxRuns = 3000)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(keep);
        int runs = 0;
        bool Fails(FuzzInput candidate)
        {
            runs++;
            return keep(Oracle.Run(target, candidate, scratch, limits));
        }
        if (!Fails(input)) return input; // not reproducible alone (e.g. a timeout on a busy machine)
        var best = input;
        for (int part = 0; part < best.Parts.Length; part++)
        {
            // Format-aware shrinking first (whole nodes, fields), then bytes. A removal that keeps the
            // failure is kept and the walk goes on at the same place (the next one has moved there).
            for (int place = 0; runs < maxRuns;)
            {
                var cand = target.ShrinkCandidates(best.Parts[part], part).Skip(place).FirstOrDefault();
                if (cand is null) break;
                if (cand.Length < best.Parts[part].Length && Fails(best.With(part, cand))) best = best.With(part, cand);
                else place++;
            }
            var data = best.Parts[part];
            int chunk = Math.Max(1, data.Length / 2);
            while (chunk >= 1 && runs < maxRuns)
            {
                bool progress = false;
                for (int start = 0; start < data.Length && runs < maxRuns;)
                {
                    int len = Math.Min(chunk, data.Length - start);
                    var cand = new byte[data.Length - len];
                    data.AsSpan(0, start).CopyTo(cand);
                    data.AsSpan(start + len).CopyTo(cand.AsSpan(start));
                    if (Fails(best.With(part, cand)))
                    {
                        data = cand;
                        best = best.With(part, data);
                        progress = true;
                    }
                    else
                    {
                        start += len;
                    }
                }
                if (!progress) chunk /= 2;
            }
            // Canonicalise: zero bytes where that keeps the failure (smaller diffs, clearer files).
            for (int i = 0; i < data.Length && runs < maxRuns; i++)
            {
                if (data[i] == 0) continue;
                var cand = (byte[])data.Clone();
                cand[i] = 0;
                if (Fails(best.With(part, cand)))
                {
                    data = cand;
                    best = best.With(part, data);
                }
            }
        }
        return best;
    }
}
