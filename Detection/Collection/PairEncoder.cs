using System.Text;
using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Inference.Text;
using PairMessage = SteerMoE.Research.Data.Pairs.ChatMessage;
using TemplateMessage = SteerMoE.Research.Inference.Text.ChatMessage;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// Turns a dataset row into token ids and target spans: each side's messages go through the model's chat
/// template (add_generation_prompt false: an assistant message is part of the chat; causal attention means the
/// generation prompt could not change a span token's routing anyway), the text is tokenized without adding
/// special tokens (the template writes them), and the target is located by <see cref="TargetLocator"/>.
/// </summary>
public sealed class PairEncoder(Tokenizer tokenizer, ChatTemplate template, IReadOnlyDictionary<string, object?>? variables, int vocabularySize)
{
    /// <summary>Encodes one row; <paramref name="where"/> (file and line) prefixes every error.</summary>
    public EncodedPair Encode(PairedExample pair, int index, int line, string where) =>
        new(index, line,
            EncodeSide(pair.Messages0, pair.Target0, $"{where}: messages_0_target"),
            EncodeSide(pair.Messages1, pair.Target1, $"{where}: messages_1_target"));

    private EncodedSide EncodeSide(IReadOnlyList<PairMessage> messages, string target, string where)
    {
        string text = template.Render(messages.Select(m => new TemplateMessage(m.Role, m.Content)), addGenerationPrompt: false, variables);
        int[] ids = tokenizer.Encode(text).Ids;
        int[] targetIds = tokenizer.Encode(target).Ids;
        if (targetIds.Length == 0) throw new FormatException($"{where}: the target \"{Shorten(target)}\" has no tokens.");
        foreach (int id in ids)
            if (id >= vocabularySize)
                throw new FormatException($"{where}: the prompt has token id {id} ({tokenizer.IdToToken(id)}), outside the model's vocabulary 0..{vocabularySize - 1}: tokenizer and model do not match.");
        int start = TargetLocator.FindLast(ids, targetIds);
        if (start < 0)
            throw new FormatException($"{where}: the target \"{Shorten(target)}\" tokenized alone ({Tokens(targetIds)}) does not occur as a sub-list of the chat-templated prompt's {ids.Length} token ids " +
                "(a target inside a word, or one that tokenizes differently in context, e.g. without its leading space, cannot be matched).");
        return new EncodedSide(ids, start, targetIds.Length);
    }

    private string Tokens(int[] ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids.Take(12)) sb.Append(sb.Length == 0 ? "" : " ").Append(id).Append(':').Append(tokenizer.IdToToken(id));
        if (ids.Length > 12) sb.Append(" …");
        return sb.ToString();
    }

    private static string Shorten(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
