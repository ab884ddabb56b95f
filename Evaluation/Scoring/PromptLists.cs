using System.Text.Json;
using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Scoring;

/// <summary>The list fields of benchmark prompts (docs/CONTRACTS.md §17): JSON arrays of strings written as text.</summary>
internal static class PromptLists
{
    /// <summary>The field as a list of strings; errors name the prompt, the field and the scorer.</summary>
    public static IReadOnlyList<string> Read(GenerationPrompt prompt, string field, string scorer)
    {
        string text = prompt.Field(field, scorer);
        try
        {
            var list = JsonSerializer.Deserialize<string[]>(text);
            if (list is { Length: > 0 }) return list;
        }
        catch (JsonException) { }
        throw new FormatException($"{prompt.Id}: field '{field}': expected a non-empty JSON list of strings (the scorer '{scorer}' reads it), found {Preview(text)}.");
    }

    private static string Preview(string text) => text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…'";
}
