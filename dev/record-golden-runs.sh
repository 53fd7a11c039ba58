#!/usr/bin/env bash
# Records the golden runs (tests/Eslm.Tests/Golden/GoldenRunTests.cs) with the current code: once with the environment's
# OpenBLAS kernels and once with the kernels Eslm picks itself (SkylakeX on AVX-512 CPUs). Run before a refactor, commit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ESLM_WRITE_GOLDEN=1 ./test.sh --filter GoldenRunTests
ESLM_WRITE_GOLDEN=1 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ./test.sh --filter GoldenRunTests
ls tests/Eslm.Tests/Fixtures/golden/*
