#!/usr/bin/env bash
# One command from a fresh Debian bookworm machine to a real unikernel container:
# installs and builds everything (scripts/setup.sh), then boots the test Linux guest through
# a private containerd with urunc as the runtime and shows what the guest printed.
# Usage (as root): scripts/demo.sh [guest init args...]   e.g. `scripts/demo.sh echo hello`
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
exec deno run -A "$repo/scripts/demo.ts" "$@"
