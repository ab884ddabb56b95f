namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>The paper's benchmarks by id (docs/BENCHMARKS.md lists every one).</summary>
public static class BenchmarkRegistry
{
    private static readonly IBenchmark[] Safety = [new Tdc2023(), new MaliciousInstruct(), new AdvBench(), new StrongReject()];

    /// <summary>Every benchmark: faithfulness, its control, safety, the AIM-wrapped safety sets, the over-refusal control.</summary>
    public static IReadOnlyList<IBenchmark> All { get; } =
    [
        new FaithEvalCounterfactual(), new FaithEvalUnanswerable(), new FaithEvalInconsistent(),
        new CfTriviaQa(), new MQuake(), new McTest(),
        .. Safety,
        .. Safety.Select(b => new AimJailbreak(b)),
        new XsTestSafe(),
    ];

    /// <summary>The registered ids, in <see cref="All"/>'s order.</summary>
    public static IReadOnlyList<string> Ids { get; } = All.Select(b => b.Info.Id).ToArray();

    /// <summary>The benchmark with this id; an unknown id is an error listing the known ones.</summary>
    public static IBenchmark Get(string id) => All.FirstOrDefault(b => b.Info.Id == id)
        ?? throw new KeyNotFoundException($"benchmark '{id}': unknown; known: {string.Join(", ", Ids)}.");

    /// <summary>Where the benchmark's local copy is by default under a data folder.</summary>
    public static string DefaultPath(string id, string dataFolder) => Path.Combine(dataFolder, Get(id).Info.DefaultPath);
}
