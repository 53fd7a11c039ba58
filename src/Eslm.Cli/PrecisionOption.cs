using System.CommandLine;
using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Cli;

/// <summary>`--precision fp32|bf16`: operand precision of the linear layers' and LM head's products (docs/precision.md).</summary>
public sealed class PrecisionOption
{
    public Option<string> Option { get; } = new("--precision")
    {
        Description = "GEMM operand precision: fp32 (OpenBLAS) or bf16 (oneDNN; needs libdnnl2 and AVX512-BF16; fp32 accumulation, fp32 master weights)",
        DefaultValueFactory = _ => "fp32",
    };

    public void AddTo(Command command) => command.Options.Add(Option);

    /// <summary>
    /// The parsed precision. bf16 is checked here, before any work: without libdnnl2 or AVX512-BF16 this is the one-line
    /// error saying what is missing and suggesting fp32 (nothing falls back silently).
    /// </summary>
    public Precision Resolve(ParseResult r) => Checked(r.GetValue(Option)!);

    /// <summary>Parses a precision name and, for bf16, checks that it can run here (the same one-line error as the option).</summary>
    public static Precision Checked(string name)
    {
        var precision = PrecisionNames.Parse(name);
        if (precision == Precision.Bf16) OneDnn.EnsureBf16();
        return precision;
    }

    /// <summary>Issue 24: says on stderr (once per command) when bf16 is measured slower than fp32 on this CPU; it still runs.</summary>
    public static void WarnIfSlowerThanFp32(Precision precision)
    {
        if (precision == Precision.Bf16 && IsaPeak.OfThisMachine()?.Bf16SlowerThanFp32Warning is { } warning)
            Console.Error.WriteLine($"eslm: warning: {warning}");
    }
}
