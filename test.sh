#!/usr/bin/env bash
# Runs every test: unit tests, then integration tests against the loopback test world.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build ModernMail.slnx -c Release
dotnet test tests/ModernMail.Tests -c Release --no-build
