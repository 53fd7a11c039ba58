#!/usr/bin/env bash
# Prepares the datasets of experiments/study.json from the fetched corpora (./eslm data fetch all), deterministically:
#   data/study/mix        training mix: noisy mail (every 6th SpamAssassin document), chat (every 2nd), all fortunes,
#                         plus clean books (tidytext books + Moby Dick), about a fifth of the tokens; 1.2% of documents held out
#   data/study/reference  clean data for Rho-1's reference model: the Brown corpus (not in the mix, not in evaluation)
#   data/study/reference-ham  the d6 study's reference data (issue 23): the legitimate (ham) SpamAssassin mail the mix does
#                         not use (5 of every 6 documents): clean in-domain mail, none of it in the mix or in evaluation.
#                         (With the Brown corpus added, half its validation tokens were Brown's literary prose, where d6
#                         stays above 6 nats at this scale: the 5.0-nat bar of issue 23 was out of reach.)
#   data/study/ood        out-of-domain evaluation: Austen and the King James Bible (never trained on), 2% held out
# The subsets keep the sidecar scoring and the whole-split evaluations of ~100 runs within minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
raw=data/raw
for corpus in spamassassin chat fortunes books mobydick brown austen kjv; do
  [[ -s $raw/$corpus/documents.jsonl ]] || { echo "study-data: $raw/$corpus/documents.jsonl missing: run ./eslm data fetch all" >&2; exit 1; }
done
sub=data/study/raw
mkdir -p "$sub"
awk 'NR % 6 == 1' "$raw/spamassassin/documents.jsonl" > "$sub/mail.jsonl"
awk 'NR % 2 == 1' "$raw/chat/documents.jsonl" > "$sub/chat.jsonl"
awk 'NR % 6 != 1 && /"domain":"ham"/' "$raw/spamassassin/documents.jsonl" > "$sub/ham-unused.jsonl"
prepare() { # OUT ARGS… (skipped when the dataset exists)
  local out=$1; shift
  if [[ -f $out/manifest.json ]]; then echo "study-data: $out exists, kept"; else ./eslm prepare "$@" -o "$out"; fi
}
prepare data/study/mix "$sub/mail.jsonl" "$sub/chat.jsonl" "$raw/fortunes/documents.jsonl" "$raw/books/documents.jsonl" \
  "$raw/mobydick/documents.jsonl" --val-fraction 0.012
prepare data/study/reference "$raw/brown/documents.jsonl" --val-fraction 0.02
prepare data/study/reference-ham "$sub/ham-unused.jsonl" --val-fraction 0.02
prepare data/study/ood "$raw/austen/documents.jsonl" "$raw/kjv/documents.jsonl" --val-fraction 0.02
