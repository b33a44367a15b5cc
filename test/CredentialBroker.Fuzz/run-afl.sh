#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with SharpFuzz and AFL++ (Debian's afl++ package), for SECONDS (default 120):
#   test/CredentialBroker.Fuzz/run-afl.sh jwt [SECONDS]
# Instruments copies of the broker's assemblies, runs afl-fuzz from corpus/<target>/, and leaves what it found in
# artifacts/fuzz/<target>/: a crash or hang there is a bug; add its input to corpus/<target>/ with the fix, and the
# test suite (FuzzCorpusTests) replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: run-afl.sh jwt|spiffe [SECONDS]}
seconds=${2:-120}
command -v afl-fuzz >/dev/null || { echo "afl-fuzz missing: apt-get install afl++" >&2; exit 1; }
command -v sharpfuzz >/dev/null || export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
out=artifacts/fuzz/$target
build=artifacts/fuzz/bin
rm -rf "$build" "$out" && mkdir -p "$out"
dotnet publish test/CredentialBroker.Fuzz -c Release -o "$build" -v q --nologo
for assembly in CredentialBroker.Core.dll CredentialBroker.Abstractions.dll; do sharpfuzz "$build/$assembly"; done
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
  timeout --preserve-status "$seconds" afl-fuzz -i "test/CredentialBroker.Fuzz/corpus/$target" -o "$out" -t 5000 -m none \
  dotnet "$build/CredentialBroker.Fuzz.dll" "$target" || true
# afl-fuzz stopped by the timeout is the expected end; one that could not start (no shared memory, a seed input that
# crashes or hangs in the dry run) leaves no statistics, or none with executions: that is a failure, not a pass.
executions=$(sed -n 's/^execs_done *: *\([0-9]*\).*/\1/p' "$out/default/fuzzer_stats" 2>/dev/null || true)
if [ -z "$executions" ] || [ "$executions" -eq 0 ]; then
  echo "$target: afl-fuzz did not run (no executions recorded in $out/default/fuzzer_stats)" >&2
  exit 1
fi
crashes=$(find "$out" -path '*crashes/id*' -o -path '*hangs/id*' | wc -l)
echo "$target: $executions executions, $crashes crash or hang inputs in $out"
[ "$crashes" -eq 0 ]
