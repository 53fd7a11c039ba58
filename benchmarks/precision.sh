#!/usr/bin/env bash
# The bf16 sitting (issues 15 and 24): bf16 against fp32 (timed alternately in one process), the selection ratios in
# bf16, and peak memory of each precision alone. Writes benchmarks/results/<date>-precision.md and prints it.
# The targets are issue 24's row for the CPU at hand, from /proc/cpuinfo: AMX-BF16, AVX512-BF16 without AMX, or none.
# Usage: benchmarks/precision.sh [steps]   (run on a quiet machine: the ratios are of one sitting)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10}
# Speed is measured with Eslm's own OpenBLAS choice (SkylakeX on AVX-512), whatever the shell exports.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
./eslm bench --gemm >/dev/null   # builds, loads OpenBLAS
out="benchmarks/results/$(date +%Y-%m-%d)-precision.md"
tmp=$(mktemp)
run() { ./eslm bench "$@" --json; }
{
  run --model d6 --batch 8 --seq 256 --precision bf16 --baseline --baseline-precision fp32 --steps "$steps"
  run --model gpt2 --batch 4 --seq 64 --precision bf16 --baseline --baseline-precision fp32 --steps "$steps"
  run --model d6 --batch 8 --seq 256 --precision bf16 --strategy eslm --alpha 0.5 --baseline --steps "$steps"
  run --model d6 --batch 8 --seq 256 --precision bf16 --strategy random --keep 0.5 --baseline --steps "$steps"
  for p in fp32 bf16; do
    run --model d6 --batch 8 --seq 256 --precision $p --steps 3 --warmup 1
    run --model d6 --batch 8 --seq 256 --precision $p --strategy eslm --alpha 0.5 --steps 3 --warmup 1
  done
} > "$tmp"
flags=$(grep -o -m1 -w 'amx_bf16\|avx512_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ' || true)
python3 - "$tmp" "$out" "$steps" "$flags" <<'PY'
import sys, datetime
sys.path.insert(0, "benchmarks")
from bench_rows import read
rows = read(sys.argv[1])
r0 = rows[0]
def name(r):
    s = r["strategy"]
    return s if s == "clm" else f"{s} ({'keep' if s == 'random' else 'α'} 0.5)"
lines = [f"# Eslm bf16 benchmark, {datetime.date.today()}", "",
         f"CPU: {r0['cpu']}, {r0['threads']} threads, OpenBLAS core {r0['blas_core']}. `./eslm bench … --steps {sys.argv[3]}` (2 warm-up steps), random tokens;",
         "each row's two step times were measured alternately, step by step, in one process (`--baseline`), so their ratio is of one sitting.",
         "FLOP/s of clm use 6·N·B·T + 12·L·C·T·B·T; selection rows count the GEMM FLOPs executed. MFU (bf16) is over the bf16 (oneDNN) ceiling,",
         "fp32-equivalent MFU over the SGEMM ceiling; both ceilings are measured in the same run.", "",
         "| model | B×T | run | median ms/step | baseline | baseline ms/step | ratio | target | tokens/s | GFLOP/s | bf16 ceiling | MFU (bf16) | SGEMM ceiling | fp32-equiv. MFU |",
         "|---|---|---|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
# issue 24's targets by CPU row (bf16 / fp32 for clm; bf16 selection / bf16 clm); issue 15's random-keep target stays
flags = sys.argv[4].split()
if "amx_bf16" in flags:
    row, targets = "AMX-BF16", {("d6", "clm"): 0.30, ("gpt2", "clm"): 0.35, ("d6", "eslm"): 0.70, ("d6", "random"): 0.72}
else:
    row, targets = "AVX512-BF16 without AMX", {("d6", "clm"): 0.50, ("gpt2", "clm"): 0.55, ("d6", "eslm"): 0.70, ("d6", "random"): 0.72}
lines[2:2] = [f"CPU row of issue 24: **{row}** (/proc/cpuinfo flags: {' '.join(flags) or 'none'}); bf16 kernel: {r0.get('bf16_kernel')}, "
              f"matmul primitives created: {r0.get('matmul_primitives_created')}; ISA peak: {r0.get('isa_peak')}.", ""]
for r in rows[:4]:
    t = targets.get((r["model"], r["strategy"]))
    ok = "met" if r["ratio_vs_clm"] <= t else "**not met**"
    lines.append(f"| {r['model']} | {r['batch']}×{r['seq']} | {name(r)} bf16 | {r['median_ms']:,.1f} | clm {r['baseline_precision']} | {r['baseline_median_ms']:,.1f} | "
                 f"{r['ratio_vs_clm']:.3f} | ≤ {t:.3f}: {ok} | {r['tokens_per_s']:,.0f} | {r['gflops_per_s']:.1f} | {r['bf16_gemm_ceiling_gflops']:.1f} | "
                 f"{100 * r['mfu']:.1f}% | {r['gemm_ceiling_gflops']:.1f} | {100 * r['fp32_equivalent_mfu']:.1f}% |")
lines += ["", "Peak resident memory, each precision alone (`--steps 3 --warmup 1`, read after the timed steps):", "",
          "| model | B×T | run | fp32 peak RSS MiB | bf16 peak RSS MiB | bf16 − fp32 |", "|---|---|---|---:|---:|---:|"]
mem = rows[4:]
for k in range(2):
    f, b = mem[k], mem[k + 2]
    lines.append(f"| {f['model']} | {f['batch']}×{f['seq']} | {name(f)} | {f['peak_rss_mb']:,.0f} | {b['peak_rss_mb']:,.0f} | {b['peak_rss_mb'] - f['peak_rss_mb']:+,.0f} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
rm -f "$tmp"
