#!/usr/bin/env bash
# Installs mrsocko from this checkout, system-wide, on Debian 12 or Ubuntu (Node.js >= 20):
#   - builds it (npm ci && npm run build) unless --no-build,
#   - copies what runs (dist/src, units/, contrib/, production node_modules) to
#     PREFIX/lib/mrsocko and links PREFIX/bin/mrsocko to it,
#   - installs the manuals mrsocko(8) and mrsocko.conf(5) into PREFIX/share/man,
#   - creates /etc/mrsocko/ for the instance configs,
#   - writes the systemd templates mrsocko@.service and mrsocko@.socket with
#     `mrsocko gen-unit --templates` (ExecStart= pointing at PREFIX/lib/mrsocko),
#   - runs systemctl daemon-reload.
# Idempotent: run it again to upgrade; configs and instance drop-ins are left alone, and
# so is a template edited by hand. Undo with contrib/uninstall.sh.
#
# The sd-notify addon (a native module: libsystemd-dev, g++, make, python3) is required:
# without it mrsocko cannot tell systemd it is ready, its status or that it is alive, and
# the template falls back to Type=simple without a watchdog. install.sh stops when it did
# not build, saying what to install; --without-sd-notify accepts the fallback.
#
# Usage: contrib/install.sh [--prefix DIR] [--no-build] [--unit-dir DIR] [--without-sd-notify]
#   --prefix DIR    default /usr/local
#   --no-build      use the dist/ and node_modules/ already in the checkout
#                   (e.g. built as yourself with `npm ci && npm run build`)
#   --unit-dir DIR  default /etc/systemd/system
#   --without-sd-notify  install even though the sd-notify addon did not build
set -euo pipefail

prefix=/usr/local
unit_dir=/etc/systemd/system
config_dir=/etc/mrsocko
build=yes
sd_notify=required

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "install: $*" >&2; exit 1; }

while (($#)); do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --unit-dir) unit_dir=${2:?--unit-dir needs a directory}; shift 2 ;;
    --unit-dir=*) unit_dir=${1#*=}; shift ;;
    --no-build) build=no; shift ;;
    --without-sd-notify) sd_notify=optional; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $prefix == /* ]] || die "--prefix must be an absolute path: $prefix"

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -f $src/package.json && -f $src/units/mrsocko@.service ]] || die "$src is not a mrsocko checkout"

node=$(command -v node) || die "Node.js >= 20 is needed (no node on PATH)"
node_major=$("$node" -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js >= 20 is needed (found $("$node" --version))"
[[ $(id -u) -eq 0 ]] || die "run it as root (sudo $0), it writes to $prefix, $config_dir and $unit_dir"

if [[ $build == yes ]]; then
  command -v npm >/dev/null || die "npm is needed to build (or build elsewhere and use --no-build)"
  echo "install: building in $src (npm ci && npm run build)"
  (cd "$src" && npm ci --no-audit --no-fund && npm run build)
fi
[[ -f $src/dist/mrsocko.cjs ]] || die "$src/dist/mrsocko.cjs is missing: build first (npm ci && npm run build)"
[[ -d $src/node_modules ]] || die "$src/node_modules is missing: run npm ci first"
# npm ci skips the optional addon without a word when libsystemd-dev is missing.
if ! addon_error=$(cd "$src" && "$node" -e "require('sd-notify')" 2>&1); then
  why=$(printf '%s\n' "$addon_error" | grep -m1 -i 'error' || printf '%s\n' "$addon_error" | head -n1)
  if [[ $sd_notify == required ]]; then
    die "the sd-notify addon is not built ($why).
  Install what it builds with and rebuild it:  apt-get install libsystemd-dev g++ make python3 && (cd $src && npm rebuild sd-notify)
  Or install without it (mrsocko@.service becomes Type=simple: no readiness, status or watchdog): $0 --without-sd-notify"
  fi
  echo "install: WARNING: the sd-notify addon is not built ($why); mrsocko@.service will be Type=simple, without readiness, status or watchdog" >&2
fi

lib=$prefix/lib/mrsocko
install -d -m 0755 "$prefix/lib" "$prefix/bin"
# Stage beside the target, then swap: a running mrsocko never sees half an installation.
stage=$(mktemp -d "$prefix/lib/.mrsocko.XXXXXX")
trap 'rm -rf "$stage"' EXIT
install -d -m 0755 "$stage/dist"
# the bin, the bundle it runs and its code cache (scripts/bundle.mjs) are what runs; dist/src
# beside them, for programs that import it
cp -a "$src/dist/mrsocko.cjs" "$src/dist/mrsocko-main.cjs" "$src/dist/mrsocko-main.cjs.cache" "$stage/dist/"
cp -a "$src/dist/src" "$stage/dist/src"
find "$stage/dist/src" -name '*.map' -delete
cp -a "$src/units" "$src/contrib" "$src/man" "$src/node_modules" "$stage/"
[[ -d $src/docs ]] && cp -a "$src/docs" "$stage/"
# the native data path (docs/native.md), where it was built; without it TCP bytes move in JavaScript
if [[ -f $src/native/build/Release/splice.node ]]; then
  install -d -m 0755 "$stage/native/build/Release"
  cp -a "$src/native/build/Release/splice.node" "$stage/native/build/Release/"
else
  echo "install: note: the native data path is not built (see docs/native.md: npm run build:native); mrsocko will move TCP bytes in JavaScript" >&2
fi
for f in package.json package-lock.json README.md LICENSE; do
  [[ -f $src/$f ]] && cp -a "$src/$f" "$stage/"
done
if command -v npm >/dev/null; then
  # Only removes packages (typescript, @types): no network needed.
  (cd "$stage" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
else
  echo "install: npm not found; keeping the development packages in $lib/node_modules"
fi
chmod 0755 "$stage/dist/mrsocko.cjs" "$stage/dist/src/cli/main.js"
chmod -R u=rwX,go=rX "$stage"
rm -rf "$lib.old"
if [[ -e $lib ]]; then mv "$lib" "$lib.old"; fi
mv "$stage" "$lib"
rm -rf "$lib.old"
trap - EXIT
ln -sfn ../lib/mrsocko/dist/mrsocko.cjs "$prefix/bin/mrsocko"
echo "install: $lib ($("$node" "$lib/dist/mrsocko.cjs" --version)), $prefix/bin/mrsocko"

man_dir=$prefix/share/man
install -d -m 0755 "$man_dir/man8" "$man_dir/man5"
install -m 0644 "$src/man/mrsocko.8" "$man_dir/man8/mrsocko.8"
install -m 0644 "$src/man/mrsocko.conf.5" "$man_dir/man5/mrsocko.conf.5"
echo "install: $man_dir/man8/mrsocko.8, $man_dir/man5/mrsocko.conf.5 (man mrsocko, man mrsocko.conf)"

install -d -m 0755 "$config_dir"
echo "install: configs go to $config_dir/NAME.conf (examples: $lib/contrib/examples/)"

"$node" "$lib/dist/mrsocko.cjs" gen-unit --templates --output "$unit_dir" | sed '/^$/,$d; s/^/install: /'

if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
  systemctl daemon-reload
  echo "install: systemctl daemon-reload done"
  if systemctl list-units --plain --no-legend 'mrsocko@*.service' | grep -q .; then
    echo "install: running instances keep the old code until: systemctl try-restart 'mrsocko@*.service'"
  fi
fi

cat <<EOF

Next, for an instance NAME:
  cp $lib/contrib/examples/jellyfin.conf $config_dir/NAME.conf && editor $config_dir/NAME.conf
  mrsocko check --instance NAME
  mrsocko gen-unit NAME && systemctl daemon-reload && systemctl enable --now mrsocko@NAME.socket
EOF
