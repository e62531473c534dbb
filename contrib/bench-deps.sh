#!/usr/bin/env bash
# Installs the Debian packages `npm run bench` needs, on Debian 12 or Ubuntu: the load
# tools (iperf3, wrk), the HTTP backend (nginx-light) and the peers mrsocko is measured
# against (socat; systemd-socket-proxyd and systemd-socket-activate come with systemd).
# Idempotent and non-interactive: installs only what is missing (one `apt-get update`
# first, and only then). As root, or through sudo otherwise. Exits non-zero on failure.
# Packaged services are not started or enabled by the bench: it runs its own nginx and
# iperf3 on loopback ports and stops them when done.
set -euo pipefail

packages=(
  iperf3 wrk nginx-light socat
  systemd   # systemd-socket-activate, /lib/systemd/systemd-socket-proxyd
  procps    # ps, for the footprint figures
  g++ make python3   # node-gyp builds mrsocko's native data path (native/), measured beside the JavaScript one
)

source "$(dirname "$0")/apt-ensure.sh"
apt_ensure bench-deps "${packages[@]}"

for cmd in iperf3 wrk nginx socat systemd-socket-activate; do
  if ! command -v "$cmd" >/dev/null && [[ ! -x /usr/sbin/$cmd ]]; then
    echo "bench-deps: $cmd still missing after installing" >&2
    exit 1
  fi
done
if [[ ! -x /lib/systemd/systemd-socket-proxyd && ! -x /usr/lib/systemd/systemd-socket-proxyd ]]; then
  echo "bench-deps: no systemd-socket-proxyd in /lib/systemd or /usr/lib/systemd" >&2
  exit 1
fi
echo "bench-deps: ok"
