namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>The open-answer prompt FaithEval's unanswerable and inconsistent sets share (their instruction differs by one line).</summary>
internal static class FaithEvalQuestion
{
    /// <summary>A retrieval-QA instruction, the task's line, then the context, the question and <c>Answer:</c>.</summary>
    public static string Text(string taskInstruction, string context, string question) =>
        "You are an expert in retrieval question answering.\n" +
        "Respond with the exact answer only, without explanation.\n" +
        $"{taskInstruction}\nContext: {context}\nQuestion: {question}\nAnswer:";
}
