#!/usr/bin/env bash
# Installs the Debian packages mrsocko's test suite needs, on Debian 12 or Ubuntu.
# Idempotent and non-interactive: installs only what is missing (one `apt-get update`
# first, and only then), and raises net.core.rmem_max for the UDP tests. As root, or
# through sudo otherwise: run it as it is, never with sudo in front, so that it works
# where you are root and sudo is not installed. Exits non-zero on failure.
# Node.js (>= 20) itself is not installed here: Debian 12's nodejs is too old.
set -euo pipefail

packages=(
  # the sd-notify native addon: node-gyp builds it with g++/make/python3 and -lsystemd
  libsystemd-dev g++ make python3
  # real systemd for e2e tests: systemd-socket-activate, and systemd-nspawn booting the
  # host's own systemd (test/helpers/nspawn.ts); nsenter (util-linux) enters the container
  # (setpriv, also util-linux, runs the CLI as nobody in the trust tests)
  systemd systemd-container util-linux
  # clients, backends and inspection used by the tests
  socat curl dnsutils iproute2 procps psmisc
  # a real UDP (and TCP) backend for the UDP tests: dnsmasq-base is the binary alone,
  # without the dnsmasq package's system service
  dnsmasq-base
  # a real backend whose session processes call setsid() (test/backend/sshd.test.ts), and its client
  openssh-server openssh-client
  # knocking: knockd's own client (`knock`; the package's daemon is switched off below),
  # and what the documented shell knock uses
  knockd openssl xxd
  # the real-service matrix (test/e2e/services): each server with its own client. The
  # tests run each server from a throw-away directory on ports of their own, never the
  # system service the package installs (see below).
  postgresql-15 postgresql-client-15 redis-server redis-tools nginx-light
  # the matrix's UDP server (an NTP server) and its own client (`chronyd -Q`). On Debian
  # chrony replaces systemd-timesyncd (both provide time-daemon): the tests need
  # neither running, and chrony's own service does not start while installing (below).
  chrony
  # the man pages are rendered with warnings on (test/docs/man.test.ts)
  man-db groff-base
)

# Debian's postinst scripts start what they install: postgresql-15 a cluster on 5432,
# redis-server one on 6379, nginx the default site on port 80, chrony a chronyd that
# would set the clock and serve NTP on port 123. The tests need none of
# them, and a system service on the shared network could answer for a container's
# (nspawn) or take a port: while installing, a policy-rc.d that refuses every start
# (invoke-rc.d's documented hook; exit 101 = "action forbidden"). One already there
# (container images ship one) is left as it is.
policy=/usr/sbin/policy-rc.d
as_root=()
if [[ $(id -u) -ne 0 ]]; then as_root=(sudo); fi
# Only when something is to be installed (as a user, that is when sudo is needed anyway).
installing=no
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || installing=yes
  done
fi
if [[ $installing == yes && ! -e $policy ]]; then
  printf '#!/bin/sh\n# mrsocko test-deps: no service starts while the test packages install\nexit 101\n' |
    "${as_root[@]}" install -m 755 /dev/stdin "$policy"
  trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi

source "$(dirname "$0")/apt-ensure.sh"
apt_ensure test-deps "${packages[@]}"

# The knockd package enables its daemon under systemd (knockd.service ignores
# START_KNOCKD=0), which would sniff the network and run iptables on its default
# sequences: the tests need only the `knock` client.
if [[ -d /run/systemd/system ]] && systemctl is-enabled --quiet knockd 2>/dev/null; then
  "${as_root[@]}" systemctl disable --now knockd
fi

# Check what the tests will actually run, not only what dpkg says.
for cmd in systemd-nspawn nsenter setpriv getent systemd-notify systemd-analyze systemd-socket-activate socat curl dig dnsmasq ip ps pgrep killall python3 g++ make ssh ssh-keygen knock openssl xxd \
  psql pg_isready redis-server redis-cli nginx chronyd man groff; do
  if ! command -v "$cmd" >/dev/null; then
    echo "test-deps: $cmd still missing after installing" >&2
    exit 1
  fi
done
if [[ ! -x /usr/lib/systemd/systemd && ! -x /lib/systemd/systemd ]]; then
  echo "test-deps: no /usr/lib/systemd/systemd for the nspawn containers to boot" >&2
  exit 1
fi
if [[ ! -x /usr/lib/postgresql/15/bin/postgres || ! -x /usr/lib/postgresql/15/bin/initdb ]]; then
  echo "test-deps: no /usr/lib/postgresql/15/bin/{postgres,initdb} (package postgresql-15)" >&2
  exit 1
fi
if ! command -v node >/dev/null || (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  echo "test-deps: Node.js >= 20 is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# A cold UDP burst (test/e2e/udp-dnsmasq) queues 1000 datagrams in mrsocko's socket
# buffer, which the kernel caps at net.core.rmem_max: raise it to 4 MiB (until the next
# boot) where it is lower.
rmem_max=$(cat /proc/sys/net/core/rmem_max)
if ((rmem_max < 4194304)); then
  if "${as_root[@]}" sysctl -q -w net.core.rmem_max=4194304; then
    echo "test-deps: net.core.rmem_max raised from $rmem_max to 4194304 (until the next boot)"
  else
    echo "test-deps: could not raise net.core.rmem_max ($rmem_max): the cold UDP burst test will not run" >&2
  fi
fi
echo "test-deps: ok"
