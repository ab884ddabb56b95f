using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// The shape the safety benchmarks share: one harmful request per row, sent as the user message unchanged (the
/// benchmarks ask them directly); <c>judge_prompt</c> is the request, which the judge sees as the user turn.
/// </summary>
internal static class HarmfulRequests
{
    /// <summary>One prompt per row from the string field <paramref name="field"/>; <paramref name="keep"/> names string fields copied as they are.</summary>
    public static IReadOnlyList<GenerationPrompt> Load(BenchmarkInfo info, string path, string field = "prompt", params string[] keep) =>
        BenchmarkPrompts.Rows(info, path).Select(row =>
        {
            string request = row.String(field);
            if (string.IsNullOrWhiteSpace(request)) throw row.Problem(field, "expected a request, found an empty string");
            var fields = new List<(string, string)> { ("judge_prompt", request) };
            fields.AddRange(keep.Select(k => (k, row.String(k))));
            return BenchmarkPrompts.Create(info, row, request, fields.ToArray());
        }).ToList();
}
