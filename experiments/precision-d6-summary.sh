#!/usr/bin/env bash
# After `./eslm experiment run experiments/precision-d6.json`: the fp32 vs bf16 summary of issue 15 as markdown —
# final validation losses and their differences, step times, and how far the two ESLM runs' kept-token sets overlap on
# the same validation batches (`eslm selection-overlap`). Usage: experiments/precision-d6-summary.sh [runs/precision-d6]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-runs/precision-d6}
[[ -f $dir/summary.json ]] || { echo "precision-d6-summary: $dir/summary.json missing: run the experiment first" >&2; exit 1; }
overlap=$(mktemp)
./eslm selection-overlap --a "$dir/eslm-fp32/seed1" --b "$dir/eslm-bf16/seed1" --data data/mixed --split val \
  --batches 20 --batch 8 --seq 256 --strategy eslm --score loss --alpha 0.5 --json > "$overlap"
python3 - "$dir" "$overlap" <<'PY'
import json, sys, statistics
d, overlap = sys.argv[1], json.load(open(sys.argv[2]))
summary = json.load(open(f"{d}/summary.json"))
arms = {a["arm"]: a for a in summary["points"][0]["arms"]}
def metrics(arm):
    lines = [json.loads(l) for l in open(f"{d}/{arm}/seed1/metrics.jsonl")]
    return [l for l in lines if l["type"] == "train"], [l for l in lines if l["type"] == "val"]
rows = {}
for arm in ["clm-fp32", "clm-bf16", "eslm-fp32", "eslm-bf16"]:
    train, val = metrics(arm)
    ms = sorted(l["ms_per_step"] for l in train[1:])
    q = statistics.quantiles(ms, n=4)
    rows[arm] = dict(val=arms[arm]["figures"]["val_loss__in_"]["mean"], last=val[-1]["val_loss"], wall=train[-1]["total_seconds"],
                     p25=q[0], med=q[1], p75=q[2], steps=len(train))
print("| arm | final val loss (200k tokens of mixed/val) | last periodic val loss | training s | ms/step p25 / median / p75 |")
print("|---|---:|---:|---:|---|")
for arm, r in rows.items():
    print(f"| {arm} | {r['val']:.4f} | {r['last']:.4f} | {r['wall']:,.0f} | {r['p25']:,.0f} / {r['med']:,.0f} / {r['p75']:,.0f} |")
print()
for s in ["clm", "eslm"]:
    f, b = rows[f"{s}-fp32"], rows[f"{s}-bf16"]
    dv = b["val"] - f["val"]
    print(f"- **{s}**: bf16 − fp32 final val loss {dv:+.4f} nats ({'within' if abs(dv) <= 0.02 else 'outside'} 0.02); "
          f"median step {b['med']:,.0f} vs {f['med']:,.0f} ms ({b['med'] / f['med']:.3f}×); training time {b['wall']:,.0f} vs {f['wall']:,.0f} s "
          f"({f['wall'] - b['wall']:,.0f} s saved, {1 - b['wall'] / f['wall']:.1%}).")
o = overlap
print(f"- **Kept-token overlap** of the final eslm models on the first {o['batches']} validation batches of 8×256 tokens "
      f"({o['tokens']:,} tokens; each model in its own precision): fp32 keeps {o['kept_a']:,}, bf16 {o['kept_b']:,}, both {o['kept_both']:,}; "
      f"Jaccard {o['jaccard']:.4f} (independent masks of these sizes: {o['chance_jaccard']:.4f}), agreement {o['agreement']:.4f}; "
      f"per batch {min(o['jaccard_per_batch']):.4f}–{max(o['jaccard_per_batch']):.4f}.")
PY
rm -f "$overlap"
