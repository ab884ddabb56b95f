namespace SteerMoE.Research.Data.Pairs;

/// <summary>One message of a chat: a role (<c>system</c>, <c>user</c>, <c>assistant</c>, ...) and its text.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// One row of a paired dataset (STEERMOE.md §2, docs/CONTRACTS.md §12): two chats that differ only in the
/// behaviour, and on each side the target text whose tokens are counted. Side 1 = <c>messages_0</c>
/// (counts a1, d1), side 2 = <c>messages_1</c> (a2, d2).
/// </summary>
public sealed record PairedExample(IReadOnlyList<ChatMessage> Messages0, IReadOnlyList<ChatMessage> Messages1, string Target0, string Target1)
{
    /// <summary>Value equality over the messages (records compare lists by reference otherwise).</summary>
    public bool Equals(PairedExample? other) =>
        other is not null && Messages0.SequenceEqual(other.Messages0) && Messages1.SequenceEqual(other.Messages1)
        && Target0 == other.Target0 && Target1 == other.Target1;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Messages0.Count, Messages1.Count, Target0, Target1);

    /// <summary>A single-turn pair: one user message per side, the target somewhere in it.</summary>
    public static PairedExample UserOnly(string user0, string user1, string target0, string target1) =>
        new([new ChatMessage("user", user0)], [new ChatMessage("user", user1)], target0, target1);

    /// <summary>A pair that shares the user prompt and differs in the assistant's answer, which is the target.</summary>
    public static PairedExample Answers(string prompt, string answer0, string answer1) =>
        new([new ChatMessage("user", prompt), new ChatMessage("assistant", answer0)],
            [new ChatMessage("user", prompt), new ChatMessage("assistant", answer1)], answer0, answer1);
}
