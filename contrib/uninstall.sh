#!/usr/bin/env bash
# Removes what contrib/install.sh installed:
#   - stops and disables every mrsocko@NAME.socket and mrsocko@NAME.service,
#   - removes the unit files `mrsocko gen-unit` wrote (the templates and the instances'
#     50-listen.conf and 50-sandbox.conf; files without its checksum line are kept and
#     listed, as are drop-ins of your own),
#   - removes PREFIX/lib/mrsocko, the PREFIX/bin/mrsocko link and the manuals in
#     PREFIX/share/man,
#   - runs systemctl daemon-reload.
# Keeps /etc/mrsocko (the configs) and /var/log/mrsocko unless --purge, which removes them
# and every mrsocko@*.socket.d / mrsocko@*.service.d directory as well. Idempotent.
#
# Usage: contrib/uninstall.sh [--prefix DIR] [--unit-dir DIR] [--purge]
set -euo pipefail

prefix=/usr/local
unit_dir=/etc/systemd/system
config_dir=/etc/mrsocko
log_dir=/var/log/mrsocko
purge=no
checksum_line='# mrsocko-gen-unit-checksum: '

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "uninstall: $*" >&2; exit 1; }

while (($#)); do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --unit-dir) unit_dir=${2:?--unit-dir needs a directory}; shift 2 ;;
    --unit-dir=*) unit_dir=${1#*=}; shift ;;
    --purge) purge=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "run it as root (sudo $0)"

systemd_running=no
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then systemd_running=yes; fi

# Every instance systemd knows of (loaded or enabled), and every one with files here.
instances=()
add_instance() {
  local name=$1 i
  [[ -n $name ]] || return 0
  for i in "${instances[@]}"; do [[ $i == "$name" ]] && return 0; done
  instances+=("$name")
}
if [[ $systemd_running == yes ]]; then
  while read -r unit _; do
    [[ $unit =~ ^mrsocko@(.+)\.(socket|service)$ ]] && add_instance "${BASH_REMATCH[1]}"
  done < <(systemctl list-units --all --plain --no-legend 'mrsocko@*' 2>/dev/null; systemctl list-unit-files --plain --no-legend 'mrsocko@*' 2>/dev/null)
fi
shopt -s nullglob
for path in "$unit_dir"/mrsocko@?*.socket.d; do base=${path##*/mrsocko@}; add_instance "${base%.socket.d}"; done
for path in "$unit_dir"/mrsocko@?*.service.d; do base=${path##*/mrsocko@}; add_instance "${base%.service.d}"; done
for path in "$unit_dir"/*.wants/mrsocko@?*.socket; do base=${path##*/mrsocko@}; add_instance "${base%.socket}"; done

if [[ $systemd_running == yes ]]; then
  for name in "${instances[@]}"; do
    systemctl disable --now "mrsocko@$name.socket" "mrsocko@$name.service" >/dev/null 2>&1 || true
    echo "uninstall: stopped and disabled mrsocko@$name"
  done
fi
# Enablement links left behind (systemd not running, e.g. in a chroot).
for link in "$unit_dir"/*.wants/mrsocko@*; do
  rm -f "$link"
done

remove_generated() {
  local file=$1
  [[ -e $file ]] || return 0
  if grep -q "^$checksum_line" "$file"; then
    rm -f "$file"
    echo "uninstall: removed $file"
  else
    echo "uninstall: kept $file (not written by mrsocko gen-unit)"
  fi
}
remove_generated "$unit_dir/mrsocko@.service"
remove_generated "$unit_dir/mrsocko@.socket"
for dir in "$unit_dir"/mrsocko@*.socket.d "$unit_dir"/mrsocko@*.service.d; do
  if [[ $purge == yes ]]; then
    rm -rf "$dir"
    echo "uninstall: removed $dir"
    continue
  fi
  remove_generated "$dir/50-listen.conf"
  remove_generated "$dir/50-sandbox.conf"
  rmdir "$dir" 2>/dev/null || echo "uninstall: kept $dir (drop-ins of your own)"
done

lib=$prefix/lib/mrsocko
link=$prefix/bin/mrsocko
if [[ -L $link && $(readlink "$link") == *lib/mrsocko/* ]]; then
  rm -f "$link"
  echo "uninstall: removed $link"
elif [[ -e $link ]]; then
  echo "uninstall: kept $link (not a link into $lib)"
fi
if [[ -d $lib ]]; then
  rm -rf "$lib"
  echo "uninstall: removed $lib"
fi
for page in "$prefix/share/man/man8/mrsocko.8" "$prefix/share/man/man5/mrsocko.conf.5"; do
  if [[ -e $page ]]; then
    rm -f "$page"
    echo "uninstall: removed $page"
  fi
done

if [[ $purge == yes ]]; then
  rm -rf "$config_dir" "$log_dir"
  echo "uninstall: removed $config_dir and $log_dir"
else
  [[ -d $config_dir ]] && echo "uninstall: kept $config_dir (--purge removes it)"
  [[ -d $log_dir ]] && echo "uninstall: kept $log_dir (--purge removes it)"
fi

if [[ $systemd_running == yes ]]; then
  systemctl daemon-reload
  systemctl reset-failed 'mrsocko@*' >/dev/null 2>&1 || true
fi
echo "uninstall: done"
