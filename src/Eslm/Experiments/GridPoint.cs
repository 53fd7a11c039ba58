using System.Globalization;
using Eslm.Model;

namespace Eslm.Experiments;

/// <summary>
/// One model size at one budget: every arm × seed of an experiment runs once per grid point, each with its own
/// learning-rate schedule over that budget. A plain experiment has one point; <c>"models"</c> and <c>"budgets"</c>
/// make a grid (issue 14: how each rule's gap to CLM moves as the budget grows).
/// </summary>
/// <param name="ModelName">The model's label (a preset name, "*" marking overrides).</param>
/// <param name="Folder">Where this point's arms live under the experiment directory ("" for a single-point experiment, so
/// old experiment directories keep their layout): <c>MODEL/</c> when the file has "models", then <c>budget-VALUE/</c>
/// when it has "budgets".</param>
/// <param name="NominalSteps">The learning-rate schedule's length at this budget: a step budget's steps, else
/// <c>train.steps</c> scaled by this budget over the model's first budget.</param>
/// <param name="BudgetIndex">Rank of the budget among its model's budgets, baseline-only ones included (0 = the smallest).</param>
/// <param name="BaselineOnly">A point of "baseline_budgets": only the baseline arm (<see cref="ExperimentSpec.BaselineArm"/>)
/// runs here, to extend its frontier for the compute multiplier (issue 23).</param>
public sealed record GridPoint(string ModelName, GptConfig Model, Budget Budget, int NominalSteps, int BudgetIndex, string Folder, bool BaselineOnly = false)
{
    /// <summary>Hard cap on steps for non-step budgets (a guard against budgets that are never reached).</summary>
    public int MaxSteps => Budget.Kind == BudgetKind.Steps
        ? (int)Budget.Value
        : (int)Math.Min(ExperimentSpec.MaxStepCap, Math.Max(10, 20L * NominalSteps));

    /// <summary>"tiny, flops_accounted 1.6e+12", for logs and report headings.</summary>
    public string Label => $"{ModelName}, {Budget.Name} {Budget.Format(Budget.Value)}";

    /// <summary>The budget folder's name: <c>budget-</c> and the value as written (<see cref="Budget.Format"/>: "budget-8.16e11").</summary>
    public static string BudgetFolder(Budget budget) => "budget-" + Budget.Format(budget.Value);

    /// <summary>The learning-rate folder of an "lrs" experiment: <c>lr-</c> and the rate as written ("lr-0.003", "lr-1e-5").</summary>
    public static string LearningRateFolder(double rate) =>
        "lr-" + rate.ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e").Replace("E-0", "e-").Replace("E-", "e-");

    /// <summary>The folder of one model label ("d2*" for a customised preset becomes "d2-custom").</summary>
    public static string ModelFolder(string modelName) => modelName.Replace("*", "-custom");
}
