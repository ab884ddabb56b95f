using System.Text.RegularExpressions;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Evaluation.Judges;

/// <summary>
/// <c>fluency-judge</c>: the paper's fluency control, a 1-5 rating of the output by any instruct model folder given
/// <see cref="Rubric"/> as a user message (its chat template). The score is the first digit 1-5 of the reply as a
/// whole token (e.g. "4", "Rating: 4/5"); a reply without one is unscorable (null) and left out of the mean.
/// </summary>
public sealed partial class FluencyJudge(string modelDirectory, string? cacheDirectory) : GenerativeJudge(DefaultId, EvaluatorKind.Mean, modelDirectory, cacheDirectory, maxNewTokens: 4)
{
    /// <summary>The registry id.</summary>
    public const string DefaultId = "fluency-judge";

    /// <summary>The rubric; {request} and {response} are replaced.</summary>
    public const string Rubric =
        "Rate the fluency and coherence of the RESPONSE below on a scale of 1 to 5, judging only the language, not " +
        "whether it is correct, helpful or safe.\n" +
        "1 = not readable (broken words, repetition, gibberish); 2 = mostly broken; 3 = understandable with clear errors; " +
        "4 = fluent with minor slips; 5 = fully fluent and coherent.\n" +
        "REQUEST: {request}\nRESPONSE: {response}\n" +
        "Reply with one digit from 1 to 5 and nothing else.";

    /// <inheritdoc/>
    protected override string RenderPrompt(GeneratedText output)
    {
        string text = Rubric.Replace("{request}", Request(output), StringComparison.Ordinal).Replace("{response}", output.OutputText, StringComparison.Ordinal);
        return Generator.Render(new GenerationPrompt(output.Prompt.Id, [new ChatMessage("user", text)], new Dictionary<string, string>()));
    }

    /// <inheritdoc/>
    protected override double? Parse(string reply, GeneratedText output) => Rating(reply);

    /// <summary>The first digit 1-5 standing alone in the reply, or null.</summary>
    public static double? Rating(string reply)
    {
        var m = FirstRating().Match(reply);
        return m.Success ? m.Value[0] - '0' : null;
    }

    [GeneratedRegex(@"(?<![0-9])[1-5](?![0-9])")]
    private static partial Regex FirstRating();
}
