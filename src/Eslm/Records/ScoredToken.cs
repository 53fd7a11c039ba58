namespace Eslm.Records;

/// <summary>
/// One predicted token of a text: its text, a strategy's score, its loss and entropy, and whether it was kept.
/// Evaluation produces these (running a model and a selector); the selection page renders them without either.
/// </summary>
public sealed record ScoredToken(string Text, float Score, float Loss, float Entropy, bool Kept);
