# Sourced by contrib/test-deps.sh and contrib/bench-deps.sh: `apt_ensure TAG PACKAGE...`
# installs the Debian packages that are missing (one `apt-get update` first, and only
# then), non-interactively, as root or through sudo. Exits non-zero on failure.
apt_ensure() {
  local tag=$1
  shift
  if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
    echo "$tag: needs apt-get and dpkg-query (Debian 12 or Ubuntu)" >&2
    exit 1
  fi
  local missing=() p
  for p in "$@"; do
    if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    echo "$tag: all $# packages already installed"
    return 0
  fi
  local as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
      echo "$tag: not root and no sudo: cannot install ${missing[*]}" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  echo "$tag: installing ${missing[*]}"
  local apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300)
  "${apt[@]}" update
  "${apt[@]}" install --no-install-recommends "${missing[@]}"
}
