namespace Eslm.Training;

/// <summary>
/// What one validation pass measured (<see cref="Trainer.Evaluate"/>): the mean loss over <paramref name="Tokens"/>
/// predictions (over all processes; for a validation sample its distinct targets), out of
/// <paramref name="SplitTokens"/> targets in the whole split when the source is a sample of one (null otherwise).
/// </summary>
public readonly record struct ValidationResult(double Loss, long Tokens, long? SplitTokens);
