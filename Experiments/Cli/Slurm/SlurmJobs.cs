using System.Diagnostics;
using System.Globalization;
using System.Text;
using SteerMoE.Research.Data.Files;

namespace SteerMoE.Research.Cli.Slurm;

/// <summary>The resources every task of a job asks Slurm for (`--partition`, `--gpus-per-task`, `--cpus-per-task`, `--mem`, `--time`).</summary>
internal sealed record SlurmResources(string? Partition, int? GpusPerTask, int? CpusPerTask, string? Memory, string? Time);

/// <summary>One sbatch script: a job array of <see cref="Tasks"/> tasks (Slurm's 1-based task ids) or, with 0, a single job.</summary>
/// <param name="Name">The script's file name without .sbatch, and the job's name after "steermoe-".</param>
/// <param name="Tasks">Array tasks 1..Tasks, or 0 for one job.</param>
/// <param name="Command">The steermoe command line the task runs; in an array, $SLURM_ARRAY_TASK_ID is the task (1 to Tasks).
/// A single job execs it; an array task runs it under <see cref="SlurmJobs.RequeueOnCrash"/>.</param>
/// <param name="Preamble">Bash lines before the command (an array task's check of its folder).</param>
internal sealed record SlurmJob(string Name, int Tasks, string Command, string Preamble = "");

/// <summary>
/// Writes a chain of sbatch scripts into a job folder (docs/CONTRACTS.md §7 `slurm`): each job depends on the previous one
/// finishing without error (`--dependency=afterok`), arrays are requeueable and append to one log per task, and
/// submit.sh submits the chain with `sbatch --parsable`, printing `NAME JOBID` per job.
/// </summary>
internal static class SlurmJobs
{
    /// <summary>The command the scripts run: the repository's ./steermoe wrapper when this build is its, else `dotnet` on this steermoe.dll.</summary>
    public static string DefaultSteermoe()
    {
        string build = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        string? root = Path.GetDirectoryName(Path.GetDirectoryName(build));   // ROOT/.build/steermoe
        if (root != null && Path.GetFileName(Path.GetDirectoryName(build)) == ".build" && File.Exists(Path.Combine(root, "steermoe")))
            return Quote(Path.Combine(root, "steermoe"));
        return $"dotnet {Quote(Path.Combine(build, "steermoe.dll"))}";
    }

    /// <summary>A shell word that bash reads back as exactly <paramref name="text"/>.</summary>
    public static string Quote(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c)) ? text : "'" + text.Replace("'", "'\\''") + "'";

    /// <summary>
    /// The lines an array task runs <paramref name="command"/> with. The command runs in the background so that the shell
    /// sees how it ended: Slurm's SIGTERM (a requeue, preemption, the time limit) is passed on and the task stops with a
    /// checkpoint. A death by a signal Slurm did not send (the OOM killer, a crash) would end the task as failed, and a
    /// failed task fails the merge's `afterok` dependency for good, even once it is requeued by hand and succeeds (Slurm
    /// 22.05, seen in tools/slurm/test-cluster.sh); so the task requeues itself instead, at most 3 times in all
    /// (SLURM_RESTART_COUNT), and its next attempt resumes from its last checkpoint. Other exits (0, bad input's 2) stand.
    /// </summary>
    public static string RequeueOnCrash(string command) => $$"""
        # Run in the background: Slurm's SIGTERM is passed on (a checkpoint, then exit); a death by another signal requeues the task.
        stopping="" child=""
        trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM
        {{command}} &
        child=$!
        while :; do
          status=0; wait "$child" || status=$?
          kill -0 "$child" 2>/dev/null || break   # still running: the wait was cut short by the SIGTERM
        done
        if [ "$status" -gt 128 ] && [ -z "$stopping" ] && [ "${SLURM_RESTART_COUNT:-0}" -lt 3 ]; then
          echo "steermoe: the task's process died of signal $(( status - 128 )); requeueing the task (it resumes from its checkpoint)"
          scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}" && exit 0
        fi
        exit "$status"

        """;

    /// <summary>Writes JOB_DIR/NAME.sbatch per job, JOB_DIR/submit.sh and JOB_DIR/logs/; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string jobDirectory, IReadOnlyList<SlurmJob> jobs, SlurmResources resources, string workingDirectory)
    {
        string dir = Path.GetFullPath(jobDirectory);
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        var written = new List<string>();
        foreach (var job in jobs)
        {
            var s = new StringBuilder("#!/bin/bash\n");
            void Directive(string text) => s.Append("#SBATCH ").Append(text).Append('\n');
            Directive($"--job-name=steermoe-{job.Name}");
            Directive($"--chdir={Quote(workingDirectory)}");   // relative paths in the commands mean what they meant where the scripts were written
            Directive(job.Tasks > 0 ? $"--array=1-{job.Tasks.ToString(CultureInfo.InvariantCulture)}" : "--ntasks=1");
            Directive("--requeue");             // a preempted or failed node's task runs again, and resumes from its own checkpoint
            Directive("--open-mode=append");    // a requeued task appends to its log instead of truncating it
            Directive($"--output={Quote(Path.Combine(dir, "logs", job.Tasks > 0 ? $"{job.Name}-%a.log" : $"{job.Name}.log"))}");
            if (resources.Partition != null) Directive($"--partition={Quote(resources.Partition)}");
            if (resources.GpusPerTask is { } g) Directive($"--gpus-per-task={g.ToString(CultureInfo.InvariantCulture)}");
            if (resources.CpusPerTask is { } c) Directive($"--cpus-per-task={c.ToString(CultureInfo.InvariantCulture)}");
            if (resources.Memory != null) Directive($"--mem={Quote(resources.Memory)}");
            if (resources.Time != null) Directive($"--time={Quote(resources.Time)}");
            s.Append("set -euo pipefail\n");
            string task = job.Tasks > 0 ? $" task ${{SLURM_ARRAY_TASK_ID}}/{job.Tasks}" : "";
            s.Append($"echo \"steermoe: {job.Name}{task}, attempt $(( ${{SLURM_RESTART_COUNT:-0}} + 1 )) on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n");
            if (job.Preamble.Length > 0) s.Append(job.Preamble.TrimEnd('\n')).Append('\n');
            s.Append(job.Tasks > 0 ? RequeueOnCrash(job.Command) : $"exec {job.Command}\n");
            string path = Path.Combine(dir, job.Name + ".sbatch");
            AtomicFile.WriteAllText(path, s.ToString());
            written.Add(path);
        }
        var submit = new StringBuilder("#!/bin/bash\n# Submits the jobs in order, each after the previous one ends without error; prints NAME JOBID per job.\nset -euo pipefail\n");
        submit.Append($"cd {Quote(dir)}\n");
        string? previous = null;
        foreach (var job in jobs)
        {
            string var = "job_" + job.Name.Replace('-', '_');
            string dependency = previous == null ? "" : $" --dependency=afterok:${previous}";
            submit.Append($"{var}=$(sbatch --parsable{dependency} {Quote(job.Name + ".sbatch")})\n{var}=${{{var}%%;*}}\n");   // --parsable: ID or ID;CLUSTER
            submit.Append($"echo \"{job.Name} ${var}\"\n");
            previous = var;
        }
        string submitPath = Path.Combine(dir, "submit.sh");
        AtomicFile.WriteAllText(submitPath, submit.ToString());
        // Executable for whoever runs it by hand (Slurm runs only on Unix-likes; elsewhere `bash submit.sh` still works).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(submitPath, File.GetUnixFileMode(submitPath) | UnixFileMode.UserExecute);
        written.Add(submitPath);
        return written;
    }

    /// <summary>Runs submit.sh (sbatch must be on the PATH); returns its exit code, its output copied to stdout and stderr.</summary>
    public static int Submit(string jobDirectory)
    {
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(Path.GetFullPath(jobDirectory), "submit.sh"));
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new IOException($"--submit: cannot run bash ({e.Message})."); }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            Console.Write(p.StandardOutput.ReadToEnd());
            p.WaitForExit();
            string err = stderr.Result;
            if (p.ExitCode != 0)
                throw new IOException($"{Path.Combine(jobDirectory, "submit.sh")}: sbatch failed (exit {p.ExitCode}): {err.Trim()}");
            Console.Error.Write(err);
            return p.ExitCode;
        }
    }
}
