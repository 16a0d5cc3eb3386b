# Shared install steps for scripts/demo, scripts/test and scripts/bench.
# Idempotent: each step checks first and installs only what is missing.

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    python3 -m venv .venv
  fi
}

apt_install() {
  # apt_install PKG...: install the Debian packages that are not there yet.
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_system_packages() {
  # openssl: third-party verification tests; chromium: the staff page tests; wrk: benchmarks;
  # iproute2: network namespaces for the LAN tests; libfaketime: the clock faults; jq: the
  # shell-only verification recipe of docs/protocol.md; e2fsprogs: the read-only disk test;
  # systemd: systemd-analyze verify/security on scripts/systemd; nginx-light: the TLS proxy
  # in front of central (tests/deploy). poppler-utils (pdftoppm, pdftotext) and zbar-tools
  # (zbarimg): reading back the poster and the staff cards and decoding their QR codes.
  apt_install openssl chromium wrk iproute2 libfaketime jq e2fsprogs systemd nginx-light \
    poppler-utils zbar-tools
  # nodejs, npm: fetch axe-core for the pages' accessibility check (ensure_axe_core).
  command -v npm >/dev/null || apt_install nodejs npm
}

AXE_CORE_VERSION=4.10.3

ensure_axe_core() {
  # axe-core from the npm registry, pinned, into ./node_modules (git-ignored): the browser
  # tests inject node_modules/axe-core/axe.min.js into each page (testkit/axe.py).
  if ! head -c 40 node_modules/axe-core/axe.min.js 2>/dev/null | grep -q "axe v$AXE_CORE_VERSION\b"; then
    echo "== installing axe-core $AXE_CORE_VERSION"
    npm install --no-save --no-package-lock --no-audit --no-fund --silent "axe-core@$AXE_CORE_VERSION"
  fi
}

ensure_postgresql() {
  # PostgreSQL server binaries for the central tests on the PostgreSQL backend: the tests
  # start their own throwaway cluster (testkit/pgcluster.py) from /usr/lib/postgresql/*/bin
  # as an unprivileged user. No system cluster or service: tell postgresql-common not to
  # create (and start) its "main" cluster when the package is installed.
  if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed"; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo mkdir -p /etc/postgresql-common
    [ -f /etc/postgresql-common/createcluster.conf ] ||
      echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  apt_install postgresql
}

ensure_python_packages() {
  local stamp=.venv/.installed-$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    echo "== installing Python packages"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}
