#!/usr/bin/env bash
# Idempotent set-up shared by ./eslm and ./test.sh: system packages, NuGet restore (retried), Release build when stale.
# Sourced, not executed: defines functions and ESLM_ROOT.
ESLM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

eslm_log() { echo "[eslm setup] $*" >&2; }

# Run a command as root: directly when we are root, through sudo otherwise.
eslm_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    eslm_log "need root to run: $* (no sudo found)"; return 1; fi
}

# Install Debian packages that are missing (dpkg -s is the check, so this is a no-op when all are present).
eslm_apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  eslm_log "installing ${missing[*]}"
  for attempt in 1 2 3; do
    eslm_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
    eslm_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null && return 0
    eslm_log "apt-get install failed (attempt $attempt), retrying"; sleep 3
  done
  eslm_log "could not install ${missing[*]}"; return 1
}

eslm_system_deps() {
  command -v dotnet >/dev/null || { eslm_log "the .NET 10 SDK (dotnet) is not on PATH"; return 1; }
  # Open MPI (libmpi.so.40 + mpirun) for data-parallel training and its tests (docs/distributed.md); loaded only under mpirun.
  # oneDNN (libdnnl.so.2) runs the bf16 products of --precision bf16 (docs/precision.md); loaded only then.
  eslm_apt_install libopenblas0-pthread libdnnl2 libopenmpi3 openmpi-bin
}

# NuGet restore, retried: the package mirror is flaky.
eslm_restore() {
  for attempt in 1 2 3; do
    dotnet restore "$ESLM_ROOT/Eslm.slnx" --nologo -v q >/tmp/eslm-restore.log 2>&1 && return 0
    eslm_log "NuGet restore failed (attempt $attempt of 3)"; tail -n 5 /tmp/eslm-restore.log >&2; sleep $((attempt * 5))
  done
  return 1
}

# Build the CLI in Release when any source, project or props file is newer than the last successful build.
ESLM_STAMP="$ESLM_ROOT/src/Eslm.Cli/bin/Release/.eslm-build-stamp"
ESLM_DLL="$ESLM_ROOT/src/Eslm.Cli/bin/Release/net10.0/eslm.dll"
eslm_build_if_stale() {
  if [ -f "$ESLM_STAMP" ] && [ -f "$ESLM_DLL" ] && [ -z "$(cd "$ESLM_ROOT" && find src assets Directory.Build.props Directory.Packages.props global.json \
      -newer "$ESLM_STAMP" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.txt' -o -name '*.bpe' -o -name '*.gz' \) \
      -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  eslm_restore || return 1
  eslm_log "building (Release)"
  dotnet build "$ESLM_ROOT/src/Eslm.Cli/Eslm.Cli.csproj" -c Release --no-restore --nologo -v q -clp:ErrorsOnly >/tmp/eslm-build.log 2>&1 \
    || { cat /tmp/eslm-build.log >&2; return 1; }
  touch "$ESLM_STAMP"
}

# OpenBLAS 0.3.21 mistakes Zen 4/5 for Haswell and runs at half speed: ask for the SkylakeX kernels when AVX-512F exists.
# (The CLI also does this itself through libc setenv; exporting here covers every child process too.)
eslm_blas_env() {
  if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE=SkylakeX; fi
}
