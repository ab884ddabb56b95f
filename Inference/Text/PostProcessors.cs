namespace SteerMoE.Research.Inference.Text;

/// <summary>A tokenizer.json post-processor: adds the special tokens of a single sequence when asked to.</summary>
internal abstract class PostProcessor
{
    /// <summary>The special tokens (id, token) before and after the sequence.</summary>
    public abstract (List<(int Id, string Token)> Before, List<(int Id, string Token)> After) SingleTemplate();

    public static PostProcessor? Parse(TokenizerJson json)
    {
        if (json.IsNull) return null;
        string type = json.Type;
        return type switch
        {
            "Sequence" => new SequencePostProcessor(json.Child("processors").Items().Select(Parse).OfType<PostProcessor>().ToArray()),
            "ByteLevel" => new NoSpecialTokens(), // offsets trimming only; ids are unchanged
            "TemplateProcessing" => TemplateProcessing.Parse(json),
            "RobertaProcessing" or "BertProcessing" => new ClsSep(Pair(json.Child("cls")), Pair(json.Child("sep"))),
            _ => throw json.Child("type").Unsupported($"the post-processor \"{type}\" (supported: Sequence, ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing)"),
        };
    }

    private static (int, string) Pair(TokenizerJson json)
    {
        var items = json.Items().ToArray();
        if (items.Length != 2) throw json.Error("[token, id]");
        return (items[1].TokenId(), items[0].String());
    }
}

internal sealed class NoSpecialTokens : PostProcessor
{
    public override (List<(int, string)>, List<(int, string)>) SingleTemplate() => ([], []);
}

internal sealed class ClsSep((int, string) cls, (int, string) sep) : PostProcessor
{
    public override (List<(int, string)>, List<(int, string)>) SingleTemplate() => ([cls], [sep]);
}

internal sealed class SequencePostProcessor(PostProcessor[] parts) : PostProcessor
{
    public override (List<(int, string)>, List<(int, string)>) SingleTemplate()
    {
        var before = new List<(int, string)>();
        var after = new List<(int, string)>();
        foreach (var p in parts)
        {
            var (b, a) = p.SingleTemplate();
            before.InsertRange(0, b);
            after.AddRange(a);
        }
        return (before, after);
    }
}

internal sealed class TemplateProcessing(List<(int, string)> before, List<(int, string)> after) : PostProcessor
{
    public static new TemplateProcessing Parse(TokenizerJson json)
    {
        var specials = json.Child("special_tokens");
        var before = new List<(int, string)>();
        var after = new List<(int, string)>();
        bool seenSequence = false;
        foreach (var item in json.Child("single").Items())
        {
            var special = item.Child("SpecialToken");
            if (!item.Child("Sequence").IsNull) { seenSequence = true; continue; }
            if (special.IsNull) throw item.Error("{\"SpecialToken\": ...} or {\"Sequence\": ...}");
            string name = special.Child("id").String();
            var entry = specials.Child(name);
            if (entry.IsNull) throw specials.Error($"an entry for the special token \"{name}\" used by single");
            var ids = entry.Child("ids").Items().Select(i => i.TokenId()).ToArray();
            var tokens = entry.Child("tokens").Items().Select(i => i.String()).ToArray();
            if (ids.Length != tokens.Length) throw entry.Error("as many ids as tokens");
            for (int k = 0; k < ids.Length; k++) (seenSequence ? after : before).Add((ids[k], tokens[k]));
        }
        return new TemplateProcessing(before, after);
    }

    public override (List<(int, string)>, List<(int, string)>) SingleTemplate() => (before, after);
}
