#!/usr/bin/env bash
# Runs every sample end to end, one line per step, and exits non-zero on the first failure:
#   samples/run.sh                                             starts a development-mode broker (free port, temporary
#                                                              credentials directory), runs the samples, stops it
#   BROKER=http://127.0.0.1:8080 samples/run.sh                against a running development-mode broker, whose dev
#   CREDENTIALS=/tmp/credentialbroker                          credentials directory is CREDENTIALS (this default)
# Other settings: CONFIGURATION (Debug); REPORT=FILE where the SOC sample's exposure report is written and kept
# (default exposure-report.html in a new private directory ${TMPDIR:-/tmp}/cb-report-XXXXXX, made when every sample passed); NO_BUILD=1 runs what is already built; SAMPLES_BIN=DIR runs the samples' and
# the broker's assemblies from DIR (Orchestrator.dll, ..., CredentialBroker.Server.dll) instead (the test of this script does).
# Needs: the .NET SDK of global.json. The resource server and MCP server samples listen on free ports for the length of the run.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGURATION=${CONFIGURATION:-Debug}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cb-samples-XXXXXX")
REPORT=${REPORT:-}
PIDS=()

say() { printf '==> %s\n' "$*"; }
fail() { printf '==> FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
  # dotnet run starts the app as its child: stop both.
  for pid in "${PIDS[@]}"; do kill $(pgrep -P "$pid" 2>/dev/null) "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A loopback port nothing listens on, below Linux's ephemeral range (32768 and up): a port picked there can be taken
# by an outgoing connection, or a server bound to port 0, between this check and the bind.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# start NAME READY PROJECT -- ARGS: runs in the background, output in a log, and waits (up to 120 s) for the line READY.
start() {
  local name=$1 ready=$2; shift 2
  command_for "$1"; shift
  [ "${1:-}" != "--" ] || shift
  : >"$WORK/$name.log" # before the background start: tail must find the file even if the process has not opened it yet
  "${CMD[@]}" "$@" >>"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  if ! timeout 120 grep -q -m1 -F "$ready" <(tail -n +1 -f "$WORK/$name.log" --pid "$!"); then
    cat "$WORK/$name.log" >&2
    fail "$name did not start (waited for: $ready)"
  fi
}

# The command that runs a built sample (or the broker): CMD.
command_for() {
  if [ -n "${SAMPLES_BIN:-}" ]; then
    CMD=(dotnet "$SAMPLES_BIN/$(basename "$1").dll")
  else
    CMD=(dotnet run --no-build -c "$CONFIGURATION" --project "$1" --)
  fi
}

# run PROJECT -- ARGS
run() {
  command_for "$1"; shift
  [ "${1:-}" != "--" ] || shift
  "${CMD[@]}" "$@"
}

if [ "${NO_BUILD:-}" != 1 ] && [ -z "${SAMPLES_BIN:-}" ]; then
  PROJECTS=(samples/Orchestrator samples/Agent samples/ResourceServer samples/McpServer samples/McpAgent samples/Soc)
  [ -n "${BROKER:-}" ] || PROJECTS+=(src/CredentialBroker.Server)
  say "building ${PROJECTS[*]} ($CONFIGURATION)"
  for project in "${PROJECTS[@]}"; do
    dotnet build "$project" -c "$CONFIGURATION" -v q --nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; fail "build of $project"; }
  done
fi

# The MCP server's resource identifier is its URL: the destination the task grants, the aud of its tokens.
MCP_SERVER="https://127.0.0.1:$(free_port)"
MCP_RESOURCE="$MCP_SERVER/mcp"

if [ -z "${BROKER:-}" ]; then
  BROKER="http://127.0.0.1:$(free_port)"
  CREDENTIALS="$WORK/credentials"
  say "starting a development-mode broker at $BROKER"
  export ASPNETCORE_ENVIRONMENT=Development
  # The dev resource server identity serves both sample servers: introspection answers it about tokens for either.
  RESOURCE_SERVERS=CredentialBroker:ResourceServers:dev-resource-server
  start broker "Now listening on:" src/CredentialBroker.Server -- --urls "$BROKER" --dev-credentials-file "$CREDENTIALS/dev-credentials.json" \
    --$RESOURCE_SERVERS:Id spiffe://dev.local/resource-server \
    --$RESOURCE_SERVERS:Resources:0 https://invoices.dev.local --$RESOURCE_SERVERS:Resources:1 "$MCP_RESOURCE"
  unset ASPNETCORE_ENVIRONMENT
fi
CREDENTIALS=${CREDENTIALS:-${TMPDIR:-/tmp}/credentialbroker}
COMMON=(--broker "$BROKER" --credentials "$CREDENTIALS")

RESOURCE_SERVER="https://127.0.0.1:$(free_port)"
say "ResourceServer: accepts broker tokens for https://invoices.dev.local at $RESOURCE_SERVER"
start resource-server "Following the broker's revocation feed" samples/ResourceServer -- --urls "$RESOURCE_SERVER" "${COMMON[@]}"

say "McpServer: an MCP server behind the broker at $MCP_RESOURCE"
start mcp-server "Following the broker's revocation feed" samples/McpServer -- --urls "$MCP_SERVER" "${COMMON[@]}"

say "Orchestrator: creates a task, sees its token active, completes it, sees it dead"
run samples/Orchestrator -- demo "${COMMON[@]}"

say "Orchestrator: creates a task for the agent (the MCP server's tools included) and hands its token over"
run samples/Orchestrator -- create --task-file "$WORK/task.json" --mcp-server "$MCP_RESOURCE" "${COMMON[@]}"

say "Agent: a PostgreSQL login, an access token, the resource server, a sub-agent, revocation"
run samples/Agent -- --task-file "$WORK/task.json" --resource-server "$RESOURCE_SERVER" "${COMMON[@]}"

say "McpAgent: discovers the MCP server's broker, exchanges its task token for that server, calls lookup_invoice"
run samples/McpAgent -- --task-file "$WORK/task.json" --mcp-server "$MCP_RESOURCE" "${COMMON[@]}"

say "Soc: declares an incident about the agent, watches the bulk revocation, writes the exposure report"
run samples/Soc -- --workload spiffe://dev.local/agent --report "$WORK/exposure-report.html" "${COMMON[@]}"
grep -q "<svg" "$WORK/exposure-report.html" || fail "the exposure report has no chart"

say "Orchestrator: completes the agent's task"
run samples/Orchestrator -- complete --task-file "$WORK/task.json" "${COMMON[@]}"

# Kept after the run, so copied out of WORK: to REPORT, or to a directory of its own (mode 700) rather than a fixed
# name in a shared directory, which another user could have planted first.
if [ -z "$REPORT" ]; then REPORT=$(mktemp -d "${TMPDIR:-/tmp}/cb-report-XXXXXX")/exposure-report.html; fi
cp "$WORK/exposure-report.html" "$REPORT"
say "every sample passed; the exposure report is kept at $REPORT"
