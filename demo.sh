#!/usr/bin/env bash
# The whole pipeline on loopback: compose, DKIM-sign, deliver over STARTTLS, receive, verify. Needs only the .NET SDK.
exec dotnet run -c Release --project "$(dirname "$0")/src/ModernMail.Cli" -- demo "$@"
