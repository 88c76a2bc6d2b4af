#!/usr/bin/env bash
# bootstrap.sh — make a fresh clone (on Debian 12, as root) ready to test: system packages,
# the VM image when this host cannot load openvswitch.ko, node modules, and the build
# (native addon + TypeScript). Runs before `npm test` and `npm run demo`; cheap when nothing
# changed (package check < 1 s, no npm install, incremental builds).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash test/harness/deps.sh

# npm keeps its own record of the installed tree in node_modules/.package-lock.json; reinstall
# only when there is none or the lockfile is newer (package.json edits that matter come with a
# lockfile change).
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || ( -f package-lock.json && package-lock.json -nt $stamp ) ]]; then
  if [[ ! -f package-lock.json ]]; then
    npm install --no-audit --no-fund
  elif ! npm ci --no-audit --no-fund; then
    # npm 11's `ci` rejects lockfiles that lack entries for optional dependencies it skipped
    # (e.g. platform packages of an engine-restricted optional dependency) although
    # `npm install` accepts them, resolving to the same tree.
    echo "bootstrap: npm ci failed; falling back to npm install" >&2
    npm install --no-audit --no-fund
  fi
  touch "$stamp"
fi

npm run --silent build
