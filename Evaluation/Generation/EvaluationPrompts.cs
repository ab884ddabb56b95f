using SteerMoE.Research.Data.Pairs;
using TextChatMessage = SteerMoE.Research.Inference.Text.ChatMessage;

namespace SteerMoE.Research.Generation;

/// <summary>Evaluation prompts made from held-out pairs.</summary>
public static class EvaluationPrompts
{
    /// <summary>
    /// Side 1's chat without a final assistant turn (the answer the model is to give), with fields
    /// <c>behaviour_1</c> and <c>behaviour_2</c> (the two sides' targets), as in an evaluation prompts file.
    /// </summary>
    public static IReadOnlyList<GenerationPrompt> FromPairs(IReadOnlyList<PairedExample> pairs, string source) =>
        pairs.Select((p, i) =>
        {
            var messages = p.Messages0.Count > 1 && p.Messages0[^1].Role == "assistant" ? p.Messages0.Take(p.Messages0.Count - 1) : p.Messages0;
            return new GenerationPrompt($"{source}:held-out {i + 1}", messages.Select(m => new TextChatMessage(m.Role, m.Content)).ToArray(),
                new Dictionary<string, string> { ["behaviour_1"] = p.Target0, ["behaviour_2"] = p.Target1 });
        }).ToArray();
}
