using Eslm.Model;
using Eslm.Selection;

namespace Eslm.Experiments;

/// <summary>
/// A strategy and the options that matter for it, in a few words (e.g. "eslm loss α=0.5"): the report's arm column and
/// `eslm show-selection`'s caption. It lives with the experiment spec (not in Reporting) because the backward mode it
/// names is a Model concept, and Reporting never references Model.
/// </summary>
public static class StrategyDescription
{
    public static string Of(SelectionOptions s)
    {
        // The backward mode matters only when tokens are dropped; named when it is not the default.
        string backward = s.Strategy == "clm" || s.Backward == new SelectionOptions().Backward ? "" : $", {s.Backward.Name()} backward";
        return s.Strategy switch
        {
            "clm" => "clm",
            "eslm" or "bottomk" => $"{s.Strategy} {s.Score.ToString().ToLowerInvariant()} α={s.Alpha:0.##}",
            "ada-eslm" => $"ada-eslm {s.AdaRule.ToString().ToLowerInvariant()} α {s.AlphaStart:0.##}→{s.AlphaEnd:0.##}",
            "rho1" or "random" => $"{s.Strategy} keep={s.Keep:0.##}" + (s.Scope == SelectionScope.Microbatch ? "" : $" scope={s.Scope.ToString().ToLowerInvariant()}"),
            "hierarchical" => $"hierarchical β={s.SequenceAlpha:0.##} α={s.Alpha:0.##}",
            "eslm-kd" => $"eslm-kd {s.KdScore} λ={s.KdLambda:0.##}",
            _ => s.Strategy,
        } + backward;
    }
}
