using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Pairs;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using TextChatMessage = SteerMoE.Research.Inference.Text.ChatMessage;

namespace SteerMoE.Research.Evaluation;

/// <summary>
/// Teacher-forced routing counts of a paired dataset (STEERMOE.md §2): each side's chat is rendered with the
/// chat template, the last occurrence of its target located, and for every target token and layer each expert
/// counts as activated (a) when it is among the token's top-k, else not (d). Side 1 = messages_0 (a1, d1).
/// (The experiment executor's own counter; Detection's collector replaces it once that lands on main.)
/// </summary>
public static class RoutingCounter
{
    /// <summary>Counts both sides of <paramref name="pairs"/>; sequences run <paramref name="batchSize"/> at a time.</summary>
    public static CountTable Count(SteeredGenerator generator, IReadOnlyList<PairedExample> pairs, string source, Precision precision = Precision.Exact, int batchSize = 8)
    {
        var config = generator.Model.Config;
        int layers = config.LayerCount, experts = config.ExpertCount;
        var a = new long[2, layers, experts];
        var total = new long[2];
        for (int side = 0; side < 2; side++)
        {
            var items = pairs.Select((p, i) => Locate(generator, side == 0 ? p.Messages0 : p.Messages1, side == 0 ? p.Target0 : p.Target1, $"{source}: pair {i + 1}, side {side + 1}")).ToArray();
            for (int start = 0; start < items.Length; start += batchSize)
            {
                var chunk = items.Skip(start).Take(batchSize).ToArray();
                var observer = new TargetCounter(chunk.Select(c => (c.First, c.End)).ToArray(), a, side);
                generator.Model.Forward(chunk.Select(c => (IReadOnlyList<int>)c.Ids).ToArray(), new ForwardOptions { Precision = precision, Observer = observer });
                total[side] += chunk.Sum(c => c.End - c.First);
            }
        }
        var rows = new List<ExpertCounts>();
        for (int l = 0; l < layers; l++)
            for (int e = 0; e < experts; e++)
                rows.Add(new ExpertCounts(l, e, a[0, l, e], total[0] - a[0, l, e], a[1, l, e], total[1] - a[1, l, e]));
        return new CountTable(rows, source);
    }

    private static (int[] Ids, int First, int End) Locate(SteeredGenerator generator, IReadOnlyList<ChatMessage> messages, string target, string where)
    {
        var chat = messages.Select(m => new TextChatMessage(m.Role, m.Content)).ToArray();
        string text = generator.Template is null ? string.Join("\n", chat.Select(m => m.Content)) : generator.Template.Render(chat, addGenerationPrompt: false);
        try
        {
            var (encoding, first, end, _, _) = generator.Tokenizer.Locate(text, target, -1, addSpecialTokens: generator.Template is null);
            if (end <= first) throw new ArgumentException($"the target \"{target}\" covers no token.");
            return (encoding.Ids, first, end);
        }
        catch (ArgumentException e) { throw new FormatException($"{where}: target: {e.Message}"); }
    }

    /// <summary>Adds the top-k of the target rows of each sequence to the side's activation counts.</summary>
    private sealed class TargetCounter((int First, int End)[] spans, long[,,] activated, int side) : IRoutingObserver
    {
        public void OnRouting(in RoutingBatch batch)
        {
            for (int t = 0; t < batch.TokenCount; t++)
            {
                var (first, end) = spans[batch.Sequence[t]];
                int position = batch.Position[t];
                if (position < first || position >= end) continue;
                foreach (int e in batch.TopKIndex.Slice(t * batch.TopK, batch.TopK)) activated[side, batch.Layer, e]++;
            }
        }
    }
}
