using System.CommandLine;
using System.Globalization;
using SteerMoE.Research.Cli.Slurm;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `steermoe slurm detect|experiment ... --shards N`: writes the sbatch scripts that run sharded detection (and an
/// experiment's cells) as Slurm job arrays with dependent merge jobs, and submits them with --submit (docs/CONTRACTS.md §7).
/// Every option the command does not define is passed on to the `detect` / `experiment` commands the tasks run.
/// </summary>
internal static class SlurmCommand
{
    // Options of both subcommands: the shards and the resources, the job folder, the binary, --submit.
    private sealed class SlurmOptions
    {
        public readonly Option<string> Output = new("--out") { Description = "the run folder (detect: the merged run; experiment: the run folder)", Required = true };
        public readonly Option<int> Shards = new("--shards") { Description = "N: detection shards (array tasks)", Required = true };
        public readonly Option<string?> JobDir = new("--job-dir") { Description = "where the .sbatch scripts, submit.sh and the task logs go (default: OUT.slurm for detect, RUN/slurm for experiment)" };
        public readonly Option<string?> Partition = new("--partition") { Description = "the Slurm partition" };
        public readonly Option<int?> Gpus = new("--gpus-per-task") { Description = "GPUs per task (pass --device cuda for the tasks to use them)" };
        public readonly Option<int?> Cpus = new("--cpus-per-task") { Description = "CPU cores per task" };
        public readonly Option<string?> Memory = new("--mem") { Description = "memory per node, Slurm's syntax (e.g. 80G)" };
        public readonly Option<string?> Time = new("--time") { Description = "time limit per task, Slurm's syntax (e.g. 4:00:00)" };
        public readonly Option<string?> Steermoe = new("--steermoe") { Description = "the steermoe the tasks run, an absolute path (default: this repository's ./steermoe, or dotnet on this build's steermoe.dll)" };
        public readonly Option<bool> Submit = new("--submit") { Description = "submit the jobs with sbatch (else print what was written and how to submit it)" };

        public void AddTo(Command command)
        {
            foreach (Option o in new Option[] { Output, Shards, JobDir, Partition, Gpus, Cpus, Memory, Time, Steermoe, Submit }) command.Add(o);
            command.TreatUnmatchedTokensAsErrors = false;   // the rest is the detect / experiment command's own options
        }

        public SlurmResources Resources(ParseResult r) => new(r.GetValue(Partition), r.GetValue(Gpus), r.GetValue(Cpus), r.GetValue(Memory), r.GetValue(Time));

        public int ShardCount(ParseResult r, Option<int> option)
        {
            int n = r.GetValue(option);
            if (n < 1) throw new ArgumentException($"{option.Name}: {n}; expected a number of shards ≥ 1.");
            return n;
        }

        public string Binary(ParseResult r)
        {
            if (r.GetValue(Steermoe) is not { } path) return SlurmJobs.DefaultSteermoe();
            if (!Path.IsPathFullyQualified(path)) throw new ArgumentException($"--steermoe: {path}: expected an absolute path (the tasks run on other machines, in other folders).");
            if (!File.Exists(path)) throw new FileNotFoundException($"--steermoe: {path}: no such file.", path);
            return SlurmJobs.Quote(path);
        }

        // The options passed on, checked against those the scripts set themselves.
        public string PassedOn(ParseResult r, params string[] reserved)
        {
            var tokens = r.UnmatchedTokens;
            foreach (string t in tokens)
                if (reserved.Contains(t.Split('=')[0]))
                    throw new ArgumentException($"slurm: {t}: set by the scripts themselves; leave it out.");
            return string.Concat(tokens.Select(t => " " + SlurmJobs.Quote(t)));
        }

        public int Finish(ParseResult r, string jobDir, IReadOnlyList<SlurmJob> jobs)
        {
            var written = SlurmJobs.Write(jobDir, jobs, Resources(r), Directory.GetCurrentDirectory());
            Console.WriteLine($"wrote {string.Join(", ", written)}");
            if (r.GetValue(Submit)) return SlurmJobs.Submit(jobDir);
            Console.WriteLine($"submit with: bash {SlurmJobs.Quote(Path.Combine(Path.GetFullPath(jobDir), "submit.sh"))}   (or pass --submit); task logs in {Path.Combine(Path.GetFullPath(jobDir), "logs")}");
            return 0;
        }
    }

    public static Command Create() => new("slurm", "Sharded detection and experiments as Slurm job arrays (sbatch scripts; --submit submits them).") { Detect(), Experiment() };

    // Detection: an array of N `detect --shard I/N` tasks into OUT.shards/I-of-N, then `detect merge` into OUT.
    private static Command Detect()
    {
        var o = new SlurmOptions();
        var overwrite = new Option<bool>("--overwrite") { Description = "let the merge replace an existing --out" };
        var command = new Command("detect", "Write (and with --submit submit) a job array of N detect --shard tasks and a merge job that depends on it. Other options (--model, --pairs, --batch, --routing-log, --seed, ...) go to detect.")
            { overwrite };
        o.AddTo(command);
        command.SetAction(r =>
        {
            int n = o.ShardCount(r, o.Shards);
            string output = Path.GetFullPath(CommandRunner.Required(r, o.Output));
            if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !r.GetValue(overwrite))
                throw new ArgumentException($"{output}: exists and is not empty; the merge would refuse it: pass --overwrite, or choose another --out.");
            string args = o.PassedOn(r, "--out", "--shard", "--resume", "--overwrite", "--max-pairs");
            string exe = o.Binary(r), shards = output + ".shards", N = n.ToString(CultureInfo.InvariantCulture);
            string check = $"""
                dir={SlurmJobs.Quote(shards)}/"$SLURM_ARRAY_TASK_ID-of-{N}"
                # A task that finished before it was requeued has nothing left to do; else --resume continues its checkpoint (or starts).
                if [ -f "$dir/run.json" ] && [ ! -f "$dir/checkpoint.json" ]; then echo "steermoe: $dir is finished"; exit 0; fi
                if [ -f "$dir/checkpoint.json" ]; then echo "steermoe: resuming $dir from its checkpoint"; fi
                """;
            string detect = $"{exe} detect{args} --shard \"$SLURM_ARRAY_TASK_ID/{N}\" --out \"$dir\" --resume";
            var dirs = string.Concat(Enumerable.Range(1, n).Select(i => " " + SlurmJobs.Quote(Path.Combine(shards, $"{i}-of-{N}"))));
            string merge = $"{exe} detect merge{dirs} --out {SlurmJobs.Quote(output)}{(r.GetValue(overwrite) ? " --overwrite" : "")}";
            return o.Finish(r, r.GetValue(o.JobDir) ?? output + ".slurm", [new SlurmJob("detect", n, detect, check), new SlurmJob("detect-merge", 0, merge)]);
        });
        return command;
    }

    // An experiment: detection shards, their merge into RUN/detection, an array of M cell slices, `experiment merge`.
    private static Command Experiment()
    {
        var o = new SlurmOptions();
        var spec = new Argument<string>("spec") { Description = "the experiment spec (YAML); first, before the options" };
        var cellShards = new Option<int?>("--cell-shards") { Description = "M: slices of the cells (array tasks; default: --shards)" };
        var neutral = new Option<string?>("--neutral") { Description = "passed to the cells' experiment run" };
        var command = new Command("experiment", "Write (and with --submit submit) four dependent jobs: N detection shards, their merge, M slices of the cells, the merge of the cells. Other options (--model, --data, --judge, --seed, --device, ...) go to every experiment command.")
            { spec, cellShards, neutral };
        o.AddTo(command);
        command.SetAction(r =>
        {
            int n = o.ShardCount(r, o.Shards);
            int m = r.GetValue(cellShards) ?? n;
            if (m < 1) throw new ArgumentException($"--cell-shards: {m}; expected a number of slices ≥ 1.");
            string specPath = Path.GetFullPath(r.GetValue(spec)!);
            if (!File.Exists(specPath)) throw new FileNotFoundException($"{specPath}: no such file (expected an experiment spec).", specPath);
            string run = Path.GetFullPath(CommandRunner.Required(r, o.Output));
            string args = o.PassedOn(r, "--out", "--shard", "--merge-shards", "--cells", "--force-new");
            string exe = o.Binary(r), N = n.ToString(CultureInfo.InvariantCulture), M = m.ToString(CultureInfo.InvariantCulture);
            string common = $"{SlurmJobs.Quote(specPath)} --out {SlurmJobs.Quote(run)}{args}";
            string neutralArg = r.GetValue(neutral) is { } t ? " --neutral " + SlurmJobs.Quote(Path.GetFullPath(t)) : "";
            // experiment detect --shard resumes the shard's checkpoint and experiment run resumes its slice's registry: a requeued task continues.
            SlurmJob[] jobs =
            [
                new("detect", n, $"{exe} experiment detect {common} --shard \"$SLURM_ARRAY_TASK_ID/{N}\""),
                new("detect-merge", 0, $"{exe} experiment detect {common} --merge-shards {N}"),
                new("cells", m, $"{exe} experiment run {common}{neutralArg} --cells \"$SLURM_ARRAY_TASK_ID/{M}\""),
                new("cells-merge", 0, $"{exe} experiment merge {common}"),
            ];
            return o.Finish(r, r.GetValue(o.JobDir) ?? Path.Combine(run, "slurm"), jobs);
        });
        return command;
    }
}
