#!/usr/bin/env bash
# Installs the pinned test tools (anvil, and ethers for the CORS browser test) with npm. Run by the Maven build in its initialize phase.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
anvil="$here/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
ethers="$here/node_modules/ethers/dist/ethers.umd.min.js"
if [ -x "$anvil" ] && [ -f "$ethers" ] && [ "$here/node_modules/.package-lock.json" -nt "$here/package-lock.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "railyard: npm is required to install anvil for the devnet and the tests (install Node.js 20+ with npm, or build with -DskipTestTools)" >&2
  exit 1
fi
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
[ -x "$anvil" ] || { echo "railyard: npm installed @foundry-rs/anvil but $anvil is missing (only linux-amd64 is supported)" >&2; exit 1; }
