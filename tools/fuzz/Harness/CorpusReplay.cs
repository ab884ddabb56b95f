namespace SteerMoE.Research.Fuzz;

/// <summary>The result of replaying inputs through a target: how many were read and what went wrong.</summary>
/// <param name="Inputs">Inputs replayed.</param>
/// <param name="Findings">One line per input that crashed (an exception other than a format error naming the file) or hung.</param>
/// <param name="Refused">One line per input refused with a format error (its message): how far the seeds get.</param>
public sealed record ReplayOutcome(int Inputs, IReadOnlyList<string> Findings, IReadOnlyList<string> Refused);

/// <summary>Replays committed corpus and regression files through a target without the fuzzer (CI and the tests).</summary>
public static class CorpusReplay
{
    /// <summary>
    /// Runs every file (folders: every file inside, sorted) through <paramref name="target"/>, each on its own
    /// thread with <paramref name="timeout"/>; stops at the first hang (its thread cannot be stopped).
    /// </summary>
    public static ReplayOutcome Replay(FuzzTarget target, IEnumerable<string> paths, TimeSpan timeout)
    {
        string work = FuzzTargets.PrepareWorkDir();
        var findings = new List<string>();
        var refused = new List<string>();
        int count = 0;
        bool hung = false;
        try
        {
            foreach (string file in paths.SelectMany(Files))
            {
                count++;
                byte[] input = File.ReadAllBytes(file);
                Exception? error = null;
                string? refusal = null;
                var thread = new Thread(() => { try { refusal = target.Run(input, work); } catch (Exception e) { error = e; } }, 64 << 20);
                thread.IsBackground = true; // a hung input must not keep the process alive
                thread.Start();
                if (!thread.Join(timeout)) { findings.Add($"{file}: hang (no result after {timeout.TotalSeconds:0} s)"); hung = true; break; }
                if (error != null) findings.Add($"{file}: {error.GetType().FullName}: {error.Message} [{Where(error)}]");
                else if (refusal != null) refused.Add($"{file}: {refusal}");
            }
        }
        finally { if (!hung) Directory.Delete(work, recursive: true); } // a hung thread may still be writing there
        return new ReplayOutcome(count, findings, refused);
    }

    /// <summary>The innermost frames of the project's code in the exception's stack (where to fix it).</summary>
    private static string Where(Exception e) =>
        string.Join(" < ", (e.StackTrace ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("at SteerMoE.", StringComparison.Ordinal) && !l.Contains(".Fuzz."))
            .Take(3).Select(l => l[3..].Split(" in ")[0]));

    private static IEnumerable<string> Files(string path) =>
        Directory.Exists(path) ? Directory.GetFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        : File.Exists(path) ? [path]
        : throw new FileNotFoundException($"{path}: no such corpus file or folder.", path);
}
