#!/usr/bin/env bash
# Runs every test: installs and starts the loopback test world (Postfix, dnsmasq, unbound,
# OpenDKIM, PostgreSQL; needs root), builds Release, runs the unit tests and the integration
# tests, checks formatting, and ends with the line "tests: N passed, N failed".
# Environment: SKIP_WORLD=1 skips install/up (world already running); SKIP_FORMAT=1 skips
# `dotnet format --verify-no-changes`.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

started=$SECONDS
step() { echo "==> [$((SECONDS - started))s] $*"; }
die() { echo "test.sh: $*" >&2; echo "tests: 0 passed, 1 failed"; exit 1; }

command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH"

if [[ ${SKIP_WORLD:-0} != 1 ]]; then
  step "install test world packages"
  scripts/testworld/install.sh || die "scripts/testworld/install.sh failed"
  step "start test world"
  scripts/testworld/up.sh || die "scripts/testworld/up.sh failed"
fi

step "build (Release)"
dotnet build ModernMail.slnx -c Release -nologo -clp:ErrorsOnly || die "build failed"

results=$PWD/TestResults
rm -rf "$results"
status=0
for project in tests/ModernMail.Tests tests/ModernMail.IntegrationTests; do
  name=$(basename "$project")
  step "test $name"
  if ! dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" \
      --results-directory "$results"; then
    status=1
  fi
  if [[ ! -s $results/$name.trx ]]; then
    echo "test.sh: $name wrote no TRX results (test host crashed?)" >&2
    status=1
  fi
done

# Sum the <Counters passed= failed=> of every TRX file.
read -r passed failed < <(
  cat "$results"/*.trx 2>/dev/null | tr '<' '\n' | awk '
    /^Counters / {
      if (match($0, / passed="[0-9]+"/)) p += substr($0, RSTART + 9, RLENGTH - 10)
      if (match($0, / failed="[0-9]+"/)) f += substr($0, RSTART + 9, RLENGTH - 10)
      if (match($0, / error="[0-9]+"/)) f += substr($0, RSTART + 8, RLENGTH - 9)
      if (match($0, / timeout="[0-9]+"/)) f += substr($0, RSTART + 10, RLENGTH - 11)
      if (match($0, / aborted="[0-9]+"/)) f += substr($0, RSTART + 10, RLENGTH - 11)
    }
    END { print p + 0, f + 0 }')
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1  # a test project crashed or reported failure without a countable failed test
fi

if [[ ${SKIP_FORMAT:-0} != 1 ]]; then
  step "style check (dotnet format --verify-no-changes)"
  if ! dotnet format ModernMail.slnx --verify-no-changes --no-restore; then
    echo "test.sh: formatting differs from .editorconfig; run 'dotnet format ModernMail.slnx'" >&2
    status=1
  fi
fi

step "done"
echo "tests: $passed passed, $failed failed"
[[ $status -eq 0 && $failed -eq 0 ]]
