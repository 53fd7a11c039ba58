using System.Text.Json.Nodes;

namespace Eslm.Evaluation;

/// <summary>JSON forms of evaluation results (eval.json, `eslm eval --json`); non-finite numbers become null.</summary>
public static class EvalJson
{
    public static JsonNode? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    public static JsonObject Of(LossReport r) => new()
    {
        ["corpus"] = r.Corpus,
        ["tokens"] = r.Tokens,
        ["loss"] = Finite(r.Loss),
        ["ppl"] = Finite(r.Perplexity),
        ["bits_per_byte"] = Finite(r.BitsPerByte),
        ["worst_domain"] = r.WorstDomain,
        ["worst_domain_loss"] = Finite(r.WorstDomainLoss),
        ["doc_cvar90"] = Finite(r.DocumentCvar90),
        ["documents"] = r.DocumentsEvaluated,
        ["domains"] = new JsonArray(r.Domains.Select(d => (JsonNode)new JsonObject
        {
            ["domain"] = d.Domain, ["loss"] = Finite(d.Loss), ["ppl"] = Finite(Math.Exp(d.Loss)), ["tokens"] = d.Tokens, ["documents"] = d.Documents,
        }).ToArray()),
    };

    /// <summary>
    /// One cloze task's result as `eslm eval --json` and eval.json write it: task, file, items, acc, target_ppl,
    /// target_logprob, target_rank, choice_acc (null when the file has fewer than 4 distinct targets), choice_candidates.
    /// </summary>
    public static JsonObject Of(ClozeResult r, string file) => new()
    {
        ["task"] = "cloze",
        ["file"] = file,
        ["items"] = r.Items,
        ["acc"] = Finite(r.Accuracy),
        ["target_ppl"] = Finite(r.TargetPerplexity),
        ["target_logprob"] = Finite(r.TargetLogProb),
        ["target_rank"] = Finite(r.TargetRank),
        ["choice_acc"] = Finite(r.ChoiceAccuracy),
        ["choice_candidates"] = ClozeResult.ChoiceCandidates,
    };
}
