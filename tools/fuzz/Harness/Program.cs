using SharpFuzz;
using SteerMoE.Research.Fuzz;

// steermoe-fuzz afl TARGET          run under afl-fuzz (tools/fuzz/run.sh): the input comes from afl, a finding escapes as a crash
// steermoe-fuzz replay TARGET PATH… [-v] read each file (or every file of each folder); exit 1 when any is a finding (-v: list refusals)
// steermoe-fuzz list                the targets
if (args is ["list"])
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name}\t{t.FileName}");
    return 0;
}
if (args is ["afl", string aflTarget])
{
    // The project's assemblies are instrumented: their code may run only inside Fuzzer.Run, which maps afl's
    // coverage memory first (before that, instrumented code writes to an unmapped area and the process dies).
    FuzzTarget? target = null;
    string? work = null;
    Fuzzer.Run(stream =>
    {
        target ??= FuzzTargets.Get(aflTarget);
        work ??= FuzzTargets.PrepareWorkDir();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), work);
    });
    return 0;
}
if (args.Length >= 3 && args[0] == "replay")
{
    bool verbose = args.Contains("-v");
    var target = FuzzTargets.Get(args[1]);
    var outcome = CorpusReplay.Replay(target, args.Skip(2).Where(a => a != "-v"), TimeSpan.FromSeconds(10));
    Console.WriteLine($"{target.Name}: {outcome.Inputs} inputs replayed, {outcome.Refused.Count} refused as bad input, {outcome.Findings.Count} findings");
    foreach (var f in outcome.Findings) Console.WriteLine($"  finding: {f}");
    if (verbose) foreach (var r in outcome.Refused) Console.WriteLine($"  refused: {r}");
    return outcome.Findings.Count == 0 ? 0 : 1;
}
Console.Error.WriteLine("usage: steermoe-fuzz list | afl TARGET | replay TARGET FILE_OR_DIR...");
return 2;
