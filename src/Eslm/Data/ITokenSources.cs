namespace Eslm.Data;

/// <summary>
/// A batch source that can name the token sequences it draws from, so checks can tie a per-token file (a Rho-1
/// reference-loss sidecar) to the very tokens it was computed on.
/// </summary>
public interface ITokenSources
{
    IReadOnlyList<TokenSequence> TokenSources { get; }
}
