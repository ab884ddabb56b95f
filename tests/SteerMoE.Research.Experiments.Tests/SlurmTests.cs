using System.Diagnostics;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>Runs only where a test Slurm cluster can be started: as root, with slurm-wlm and munge installed.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    /// <summary>Skips with the reason when the cluster cannot run here.</summary>
    public SlurmFactAttribute()
    {
        string[] needed = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel"];   // what test-cluster.sh checks
        if (Environment.UserName != "root" && RepoPaths.OnPath("slurmctld") is null)
            Skip = "not root and Slurm not installed: the test cluster cannot start here (it runs as SlurmUser=root; tools/setup-test-deps.d/slurm.sh installs slurm-wlm and munge as root)";
        else if (Environment.UserName != "root")
            Skip = "not root: the test cluster runs its daemons and jobs as SlurmUser=root";
        else if (needed.FirstOrDefault(c => RepoPaths.OnPath(c) is null) is { } missing)
            Skip = $"{missing} not installed: bash tools/setup-test-deps.d/slurm.sh installs slurm-wlm and munge";
    }
}

/// <summary>`steermoe slurm` (docs/CONTRACTS.md §7): the scripts it writes, and a real single-node cluster running them.</summary>
public class SlurmTests
{
    [Fact]
    public void SlurmDetectWritesARequeueableArrayAndADependentMerge()
    {
        string dir = RepoPaths.TempDir("slurm-scripts");
        string run = Path.Combine(dir, "run");
        var r = Cli.RunIn(dir, "slurm", "detect", "--model", "models/qwen", "--pairs", "pairs.jsonl", "--out", run, "--shards", "3",
            "--partition", "gpu", "--gpus-per-task", "1", "--time", "4:00:00", "--batch", "16", "--routing-log", "--var", "enable_thinking=false");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string jobs = run + ".slurm";
        Assert.Contains($"submit with: bash {Path.Combine(jobs, "submit.sh")}", r.Stdout);
        string array = File.ReadAllText(Path.Combine(jobs, "detect.sbatch"));
        foreach (string line in new[] { "#SBATCH --array=1-3", "#SBATCH --requeue", "#SBATCH --open-mode=append", $"#SBATCH --chdir={dir}",
                     $"#SBATCH --output={Path.Combine(jobs, "logs", "detect-%a.log")}", "#SBATCH --partition=gpu", "#SBATCH --gpus-per-task=1", "#SBATCH --time=4:00:00" })
            Assert.Contains(line + "\n", array);
        // The task: its own shard folder, resumed when a checkpoint is there, the user's detect options passed on as given.
        Assert.Contains($"dir={run}.shards/\"$SLURM_ARRAY_TASK_ID-of-3\"\n", array);
        Assert.Matches(@"\n(/\S+/steermoe|dotnet /\S+/steermoe\.dll) detect --model models/qwen --pairs pairs\.jsonl --batch 16 --routing-log --var enable_thinking=false --shard ""\$SLURM_ARRAY_TASK_ID/3"" --out ""\$dir"" --resume &\n", array);
        // In the background: Slurm's SIGTERM is passed on; a death by another signal requeues the task (at most 3 times).
        Assert.Contains("trap 'stopping=1; [ -z \"$child\" ] || kill -TERM \"$child\" 2>/dev/null || true' TERM\n", array);
        Assert.Contains("if [ \"$status\" -gt 128 ] && [ -z \"$stopping\" ] && [ \"${SLURM_RESTART_COUNT:-0}\" -lt 3 ]; then\n", array);
        Assert.Contains("  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" && exit 0\n", array);
        Assert.EndsWith("exit \"$status\"\n", array);
        string merge = File.ReadAllText(Path.Combine(jobs, "detect-merge.sbatch"));
        Assert.Contains($" detect merge {run}.shards/1-of-3 {run}.shards/2-of-3 {run}.shards/3-of-3 --out {run}\n", merge);
        Assert.DoesNotContain("--array", merge);
        Assert.DoesNotContain("trap", merge);   // a single job execs its command: a failed merge is an error to see
        string submit = File.ReadAllText(Path.Combine(jobs, "submit.sh"));
        Assert.Contains("job_detect=$(sbatch --parsable detect.sbatch)\n", submit);
        Assert.Contains("job_detect_merge=$(sbatch --parsable --dependency=afterok:$job_detect detect-merge.sbatch)\n", submit);

        var reserved = Cli.RunIn(dir, "slurm", "detect", "--model", "m", "--pairs", "p", "--out", Path.Combine(dir, "other"), "--shards", "2", "--shard", "1/2");
        Assert.Equal(2, reserved.ExitCode);
        Assert.Contains("slurm: --shard: set by the scripts themselves; leave it out.", reserved.Stderr);
        var relative = Cli.RunIn(dir, "slurm", "detect", "--out", Path.Combine(dir, "other"), "--shards", "2", "--steermoe", "bin/steermoe");
        Assert.Equal(2, relative.ExitCode);
        Assert.Contains("--steermoe: bin/steermoe: expected an absolute path", relative.Stderr);
        var shards = Cli.RunIn(dir, "slurm", "detect", "--out", Path.Combine(dir, "other"), "--shards", "0");
        Assert.Equal(2, shards.ExitCode);
        Assert.Contains("--shards: 0; expected a number of shards ≥ 1.", shards.Stderr);
    }

    [Fact]
    public void SlurmExperimentChainsDetectionShardsTheirMergeTheCellsAndTheirMerge()
    {
        string dir = RepoPaths.TempDir("slurm-experiment");
        string spec = RepoPaths.Get("Experiments", "Library", "Demo", "Specs", "counting.yaml"), run = Path.Combine(dir, "run");
        var r = Cli.RunIn(dir, "slurm", "experiment", spec, "--out", run, "--shards", "4", "--cell-shards", "6", "--seed", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string jobs = Path.Combine(run, "slurm");
        Assert.Contains($" experiment detect {spec} --out {run} --seed 2 --shard \"$SLURM_ARRAY_TASK_ID/4\" &\n", File.ReadAllText(Path.Combine(jobs, "detect.sbatch")));
        Assert.Contains($" experiment detect {spec} --out {run} --seed 2 --merge-shards 4\n", File.ReadAllText(Path.Combine(jobs, "detect-merge.sbatch")));
        string cells = File.ReadAllText(Path.Combine(jobs, "cells.sbatch"));
        Assert.Contains("#SBATCH --array=1-6\n", cells);
        Assert.Contains($" experiment run {spec} --out {run} --seed 2 --cells \"$SLURM_ARRAY_TASK_ID/6\" &\n", cells);
        Assert.Matches(@"\nexec (/\S+/steermoe|dotnet /\S+/steermoe\.dll) experiment merge ", File.ReadAllText(Path.Combine(jobs, "cells-merge.sbatch")));
        Assert.Contains($" experiment merge {spec} --out {run} --seed 2\n", File.ReadAllText(Path.Combine(jobs, "cells-merge.sbatch")));
        string submit = File.ReadAllText(Path.Combine(jobs, "submit.sh"));
        Assert.Contains("--dependency=afterok:$job_detect detect-merge.sbatch", submit);
        Assert.Contains("--dependency=afterok:$job_detect_merge cells.sbatch", submit);
        Assert.Contains("--dependency=afterok:$job_cells cells-merge.sbatch", submit);
    }

    [Fact]
    public void DetectRefusesAMalformedShard()
    {
        var r = Cli.Run("detect", "--model", RepoPaths.Get("models", "default"), "--pairs", "x.jsonl", "--out", RepoPaths.TempDir("detect-shard"), "--shard", "3/2");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("steermoe: error: --shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4: the second of four; 1-based), got '3/2': I must be between 1 and 2.\n", r.Stderr);
    }

    /// <summary>
    /// tools/slurm/test-cluster.sh on a real single-node cluster: a 4-task detect array with one task requeued midway and
    /// one task's process killed midway (SIGKILL: the task requeues itself and resumes), and a
    /// sharded experiment, each compared with one process byte for byte (the script exits 1 on any difference).
    /// </summary>
    [SlurmFact]
    public void ASingleNodeSlurmClusterRunsShardedDetectionAndAnExperimentAsOneProcessWould()
    {
        string work = RepoPaths.TempDir("slurm-cluster");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(RepoPaths.Get("tools", "slurm", "test-cluster.sh"));
        psi.ArgumentList.Add(work);
        psi.Environment["STEERMOE"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "steermoe.dll")}";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8))) { p.Kill(true); Assert.Fail($"test-cluster.sh ran past 8 minutes:\n{stdout.Result}"); }
        Assert.True(p.ExitCode == 0, $"test-cluster.sh: exit {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        Assert.Contains("test-cluster: PASS", stdout.Result);
        Assert.Contains("requeued task", stdout.Result);
        Assert.Contains("SIGKILL) after its checkpoint held", stdout.Result);
        // The script compares every file; two of them once more here.
        foreach (string f in new[] { "counts.csv", "ranking.csv" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(work, "detect-one", f)), File.ReadAllBytes(Path.Combine(work, "detect", f)));
        Assert.Equal(File.ReadAllText(Path.Combine(work, "experiment-one", "results.csv")), File.ReadAllText(Path.Combine(work, "experiment", "results.csv")));
    }
}
