using System.Globalization;
using Eslm.Training;

namespace Eslm.Experiments;

/// <summary>How arms are matched: every arm trains until its running total of this quantity reaches <see cref="Budget.Value"/>.</summary>
public enum BudgetKind { Steps, FlopsAccounted, FlopsExecuted, WallSeconds }

public sealed record Budget(BudgetKind Kind, double Value)
{
    public static readonly string[] Names = ["steps", "flops_accounted", "flops_executed", "wall_seconds"];

    public string Name => Names[(int)Kind];

    /// <summary>
    /// A value as people write budgets, exactly (it names folders): "40", "0.5", "8.16e11", "1.3459e13". Large values
    /// are written as mantissa·10^e with the shortest mantissa that is exact in decimal.
    /// </summary>
    public static string Format(double value)
    {
        if (Math.Abs(value) < 1e5 || Math.Abs(value) >= 1e28) return value.ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e");
        decimal exact = (decimal)value;
        int exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        decimal mantissa = exact / (decimal)Math.Pow(10, exponent);
        if (Math.Abs(mantissa) >= 10) { mantissa /= 10; exponent++; }
        return $"{mantissa.ToString("0.############################", CultureInfo.InvariantCulture)}e{exponent}";
    }

    /// <summary>What the arm has spent so far, in the budget's unit.</summary>
    public double Spent(Trainer t) => Kind switch
    {
        BudgetKind.Steps => t.StepIndex,
        BudgetKind.FlopsAccounted => t.TotalFlopsAccounted,
        BudgetKind.FlopsExecuted => t.TotalFlopsExecuted,
        _ => t.TotalMilliseconds / 1000.0,
    };
}
