using System.Text;

namespace SteerMoE.Research.Evaluation.Scoring;

/// <summary>
/// The answer normalisation of SQuAD-style evaluation (and FaithEval's): lower case; every character that is not a
/// letter or a digit becomes a space (punctuation, quotes, <c>_</c>); the articles <c>a</c>, <c>an</c>, <c>the</c> are
/// dropped; whitespace collapses to single spaces. Matching is on whole words of the normalised texts.
/// </summary>
public static class AnswerNormalization
{
    private static readonly HashSet<string> Articles = ["a", "an", "the"];

    /// <summary>The normalised text.</summary>
    public static string Normalize(string text)
    {
        var words = new StringBuilder(text.Length);
        foreach (string word in TextMatching.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Articles.Contains(word)) continue;
            if (words.Length > 0) words.Append(' ');
            words.Append(word);
        }
        return words.ToString();
    }

    /// <summary>True when the normalised <paramref name="answer"/> occurs in the normalised <paramref name="text"/> as whole words (an answer that normalises to nothing never matches).</summary>
    public static bool Contains(string text, string answer)
    {
        string a = Normalize(answer);
        return a.Length > 0 && (" " + Normalize(text) + " ").Contains(" " + a + " ", StringComparison.Ordinal);
    }
}
