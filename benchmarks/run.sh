#!/usr/bin/env bash
# Standard benchmark sitting: Eslm's two target configurations, the selection ratios, and (if Debian's python3-torch is
# installed) PyTorch on the same models, one after another on the same machine. Writes a markdown table to
# benchmarks/results/<date>-<cpu family>.md and prints it. Usage: benchmarks/run.sh [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE_BENCH:-SkylakeX}
./eslm bench --gemm >/dev/null   # builds, loads OpenBLAS
out="benchmarks/results/$(date +%Y-%m-%d)-$(grep -m1 'cpu family' /proc/cpuinfo | awk '{print "family" $4}').md"
tmp=$(mktemp)
run() { ./eslm bench "$@" --steps "$steps" --json; }
{
  run --model d6 --batch 8 --seq 256
  run --model gpt2 --batch 4 --seq 64
  for backward in exact kept-rows; do
    run --model d6 --batch 8 --seq 256 --strategy eslm --alpha 0.5 --backward $backward --baseline
    run --model d6 --batch 8 --seq 256 --strategy random --keep 0.5 --backward $backward --baseline
    run --model d6 --batch 8 --seq 256 --strategy eslm --score entropy --alpha 0.5 --backward $backward --baseline
  done
} > "$tmp"
python3 - "$tmp" "$out" "$steps" <<'PY'
import json, sys, datetime, subprocess
sys.path.insert(0, "benchmarks")
from bench_rows import read
rows = read(sys.argv[1])
cpu = rows[0]["cpu"]
lines = [f"# Eslm benchmark, {datetime.date.today()}", "",
         f"CPU: {cpu}, {rows[0]['threads']} threads, OpenBLAS core {rows[0]['blas_core']}. Median of {sys.argv[3]} steps after 2 warm-up steps, random tokens.",
         "FLOPs/step = 6·N·B·T + 12·L·C·T·B·T for clm; selection rows count the GEMM FLOPs actually executed. MFU = achieved FLOP/s ÷ the SGEMM ceiling measured in the same run.",
         "Selection rows were timed alternating step by step with clm in the same process (`--baseline`); 'step time vs clm' is that ratio.", "",
         "| model | B | T | strategy | median ms/step | tokens/s | GFLOP/s | SGEMM ceiling | MFU | kept | step time vs clm | peak RSS MiB |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
clm = {r["model"]: r["median_ms"] for r in rows if r["strategy"] == "clm"}
def label(r):
    s = r.get("selection") or {}
    if r["strategy"] == "clm": return "clm"
    what = f"keep={s['keep']}" if r["strategy"] in ("random", "rho1") else f"{s['score']} α={s['alpha']}"
    return f"{r['strategy']} {what}, {s['backward']} backward"
for r in rows:
    # Selection rows were timed alternating with clm in the same process (--baseline): use that ratio.
    ratio = r.get("ratio_vs_clm") or r["median_ms"] / clm[r["model"]]
    lines.append(f"| {r['model']} | {r['batch']} | {r['seq']} | {label(r)} | {r['median_ms']:.0f} | {r['tokens_per_s']:.0f} | {r['gflops_per_s']:.0f} | "
                 f"{r['gemm_ceiling_gflops']:.0f} | {r['mfu']*100:.0f}% | {r.get('kept_fraction', 1)*100:.0f}% | {ratio:.2f} | {r['peak_rss_mb']:.0f} |")
try:
    py = subprocess.run(["/usr/bin/python3", "dev/bench_pytorch.py", "--steps", sys.argv[3]], capture_output=True, text=True, timeout=1800)
    pts = [json.loads(l) for l in py.stdout.splitlines() if l.startswith("{")]
    if pts:
        lines += ["", "PyTorch in the same sitting (dev/bench_pytorch.py, same model and step, 2 threads):", "",
                  "| model | B | T | framework | median ms/step | Eslm speed-up |", "|---|---|---|---|---|---|"]
        for p in pts:
            lines.append(f"| {p['model']} | {p['batch']} | {p['seq']} | {p['framework']} | {p['median_ms']:.0f} | {p['median_ms']/clm[p['model']]:.1f}x |")
except (OSError, subprocess.TimeoutExpired):
    pass
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
rm -f "$tmp"
echo "wrote $out"
