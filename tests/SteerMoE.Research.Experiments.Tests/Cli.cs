using System.Diagnostics;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>Runs the built `steermoe` command as a separate process (as a user would) and captures its output.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunIn(null, args);

    public static Result RunIn(string? workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    /// <summary>With every progress line printed (STEERMOE_PROGRESS_SECONDS=0), so tests can assert them.</summary>
    public static Result RunWithEveryProgressLine(params string[] args) =>
        RunWith(null, new Dictionary<string, string> { ["STEERMOE_PROGRESS_SECONDS"] = "0" }, args);

    public static Result RunWith(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "steermoe.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"steermoe {string.Join(' ', args)} ran past 5 minutes."); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
