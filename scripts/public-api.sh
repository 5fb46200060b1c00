#!/usr/bin/env bash
# Records public API changes: builds, then adds every symbol the analyzer reports as new (RS0016) to the project's
# PublicAPI.Unshipped.txt and every declared symbol that is gone (RS0017) as "*REMOVED*<symbol>". Review the diff after.
# (`dotnet format analyzers --diagnostics RS0016` does the same but skips files when the build also has RS0017.)
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build ModernMail.slnx -c Release -nologo -clp:ErrorsOnly >"$log" 2>&1 || true
python3 - "$log" <<'PY'
import re, sys, os, collections
added = collections.defaultdict(set)
pattern = re.compile(r"error (RS001[67]): Symbol '(.+?)' is (?:not part of the declared public API|part of the declared API, but is either not public or could not be found).*\[(.+?\.csproj)\]")
for line in open(sys.argv[1], encoding="utf-8"):
    m = pattern.search(line)
    if m:
        rule, symbol, project = m.groups()
        added[os.path.dirname(project)].add(symbol if rule == "RS0016" else "*REMOVED*" + symbol)
for directory, symbols in added.items():
    path = os.path.join(directory, "PublicAPI.Unshipped.txt")
    lines = open(path, encoding="utf-8").read().splitlines() if os.path.exists(path) else ["#nullable enable"]
    header, body = lines[:1], set(lines[1:]) | symbols
    open(path, "w", encoding="utf-8").write("\n".join(header + sorted(body, key=lambda s: s.lstrip("*REMOVED*").lower())) + "\n")
    print(f"{path}: {len(symbols)} entries")
PY
