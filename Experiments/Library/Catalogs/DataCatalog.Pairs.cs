using SteerMoE.Research.Data.Pairs;

namespace SteerMoE.Research.Catalogs;

// Building a paired dataset by hand (the authors' tutorial: one prompt, two answers).
public sealed partial class DataCatalog
{
    /// <summary>
    /// A pair that shares the user <paramref name="prompt"/> and differs in the assistant's answer: side 1
    /// answers <paramref name="answer1"/>, side 2 <paramref name="answer2"/>; each answer is its side's target span.
    /// </summary>
    public PairedExample AnswerPair(string prompt, string answer1, string answer2) => PairedExample.Answers(prompt, answer1, answer2);
}
