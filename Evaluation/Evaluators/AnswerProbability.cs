using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Evaluation;

/// <summary>
/// The probability the model gives, at the first generated position, to the first token of an answer: a
/// graded measure beside greedy rates, which can sit at 0 or 1 while the probabilities move.
/// </summary>
public static class AnswerProbability
{
    /// <summary>
    /// p(first token of <paramref name="answer"/>) under softmax of the first step's logits. The answer is encoded
    /// on its own (no special tokens), as the text that follows the prompt.
    /// </summary>
    public static double FirstToken(GeneratedText output, Tokenizer tokenizer, string answer)
    {
        var ids = tokenizer.Encode(answer.TrimStart()).Ids;
        if (ids.Length == 0) throw new ArgumentException($"{output.Prompt.Id}: the answer \"{answer}\" encodes to no tokens.");
        return Math.Exp(Probabilities.LogSoftmaxAt(output.FirstStepLogits, ids[0]));
    }
}
