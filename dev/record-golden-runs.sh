#!/usr/bin/env bash
# Records the golden runs (tests/Eslm.Tests/Golden/GoldenRunTests.cs) with the current code, for both OpenBLAS kernel
# families the goldens keep: Haswell (AVX2) always, and SkylakeX (AVX-512) where the CPU has AVX-512F. Each family
# rounds differently, so each has its own folder under tests/Eslm.Tests/Fixtures/golden/. Run before a refactor, commit.
# A re-recording for a new file shape must leave GoldenBehaviourTests green (same train lines, weights and moments).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ESLM_WRITE_GOLDEN=1 OPENBLAS_CORETYPE=Haswell ./test.sh --filter GoldenRunTests
if grep -qw avx512f /proc/cpuinfo; then
  ESLM_WRITE_GOLDEN=1 OPENBLAS_CORETYPE=SkylakeX ./test.sh --filter GoldenRunTests
else
  echo "no AVX-512F here: SkylakeX goldens not recorded" >&2
fi
./test.sh --filter GoldenBehaviourTests
ls tests/Eslm.Tests/Fixtures/golden/*
