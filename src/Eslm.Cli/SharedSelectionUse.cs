using Eslm.Selection;

namespace Eslm.Cli;

/// <summary>
/// Which strategies read the shared selection options (--score, --alpha, --keep, --selection-seed), so that one given to a
/// strategy that ignores it (<c>--alpha 0.9 --strategy clm</c>) is warned about instead of silently dropped (issue 21).
/// <para>Merge note: the run-configuration work declares this on each strategy (<c>StrategyDefinition.Uses</c>); this
/// table mirrors it and should be replaced by it.</para>
/// </summary>
public static class SharedSelectionUse
{
    private static readonly SelectionOptions Defaults = new();

    private static readonly Dictionary<string, string[]> UsedBy = new()
    {
        ["--score"] = ["eslm", "ada-eslm", "hierarchical", "bottomk"],
        ["--alpha"] = ["eslm", "ada-eslm", "eslm-kd", "hierarchical", "bottomk"],
        ["--keep"] = ["rho1", "random"],
        ["--selection-seed"] = ["random"],
    };

    /// <summary>Shared options set to a non-default value that <paramref name="selection"/>'s strategy does not read.</summary>
    public static IEnumerable<string> Ignored(SelectionOptions selection)
    {
        var given = new (string Flag, bool Changed)[]
        {
            ("--score", selection.Score != Defaults.Score), ("--alpha", selection.Alpha != Defaults.Alpha),
            ("--keep", selection.Keep != Defaults.Keep), ("--selection-seed", selection.Seed != Defaults.Seed),
        };
        foreach (var (flag, changed) in given)
        {
            var users = UsedBy[flag];
            // A strategy registered later (a plug-in) is not in the table: say nothing rather than guess.
            if (changed && StrategyRegistry.Names.Contains(selection.Strategy) && IsBuiltIn(selection.Strategy) && !users.Contains(selection.Strategy))
                yield return $"{flag} is read only by --strategy {string.Join(", ", users)}, so --strategy {selection.Strategy} ignores it";
        }
    }

    private static bool IsBuiltIn(string strategy) => strategy is "clm" or "eslm" or "ada-eslm" or "rho1" or "eslm-kd" or "hierarchical" or "random" or "bottomk";
}
