#!/usr/bin/env bash
# make setup: installs what a fresh machine of this kind lacks, and says what it did.
# Idempotent: each step checks a stamp and is skipped when already done, so a second run takes
# seconds. Everything lands in the project (node_modules/, .cache/) except Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cache="${MEETUP_CACHE_DIR:-.cache}"
mkdir -p "$cache"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

need node "install Node.js 20 (this machine kind ships it)"
need npm "install npm (ships with Node.js)"
need java "install a Java 17 runtime (apt-get install openjdk-17-jre-headless)"
need mvn "install Maven (apt-get install maven)"
need python3 "install Python 3.11 (this machine kind ships it)"

java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null || die "Kafka 4 needs Java 17 or newer; found java ${java_major:-unknown}"

# 1. Debian packages: PostgreSQL server binaries and Chromium for the browser tests.
apt_missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || apt_missing+=(postgresql)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
if [ ${#apt_missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${apt_missing[*]}"
  say "installing Debian packages: ${apt_missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  # Debian starts a system cluster on 5432; the project runs its own, so leave that one alone.
else
  say "Debian packages present (postgresql, chromium)"
fi

# 2. npm packages, Bun among them (pinned in package.json, locked in package-lock.json).
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if stamp_ok node_modules/.setup-stamp "$lock_hash" && [ -x node_modules/.bin/bun ]; then
  say "npm packages up to date (bun $(node_modules/.bin/bun --version))"
else
  if [ -d node_modules ]; then
    # Incremental: npm ci would delete node_modules under any process running from it.
    say "updating npm packages to package-lock.json (npm install)"
    npm install --no-audit --no-fund --loglevel=error
  else
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  echo "$lock_hash" > node_modules/.setup-stamp
  say "bun $(node_modules/.bin/bun --version) installed in node_modules/.bin"
fi

# 3. Apache Kafka broker jars from Maven Central.
pom_hash=$(sha256sum scripts/kafka/pom.xml | cut -c1-16)
libs="$cache/kafka/libs"
if stamp_ok "$cache/kafka/stamp" "$pom_hash"; then
  say "Kafka jars present ($(ls "$libs" | grep -c '\.jar$') jars in $libs)"
else
  say "resolving Apache Kafka jars from Maven Central into $libs"
  rm -rf "$libs"
  mvn -q -B -Dstyle.color=never -f scripts/kafka/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$root/$libs" -DincludeScope=runtime
  echo "$pom_hash" > "$cache/kafka/stamp"
  say "Kafka $(ls "$libs" | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p') ready"
fi

# 4. Python tools in a project venv: the duckdb CLI (same DuckDB as @duckdb/node-api) and moto.
duckdb_version=$(node -p "require('./package.json').dependencies['@duckdb/node-api'].replace(/-r\..*$/, '')")
moto_version=$(cat scripts/moto-version)
want="duckdb-cli==$duckdb_version moto[server]==$moto_version"
venv="$cache/venv"
if stamp_ok "$venv/stamp" "$want" && [ -x "$venv/bin/duckdb" ]; then
  say "Python tools present ($("$venv/bin/duckdb" --version | cut -d' ' -f1) duckdb CLI, moto $moto_version)"
else
  say "installing $want into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "duckdb-cli==$duckdb_version" "moto[server]==$moto_version"
  echo "$want" > "$venv/stamp"
  say "duckdb CLI $("$venv/bin/duckdb" --version | cut -d' ' -f1) and moto $moto_version installed"
fi

# 5. The stream's native fast path (apps/stream/native/rsvp_scan.c), built with gcc into
#    .cache/native/ (the stream would build it at its first start otherwise).
if command -v gcc >/dev/null; then
  built=$(node_modules/.bin/bun -e 'const m = await import("./apps/stream/rsvp_scan.ts"); const b = m.buildSharedObject(); console.log("path" in b ? b.path : b.error)')
  say "stream native library: $built"
else
  say "no gcc: the stream compiles its native library with Bun's TinyCC at start-up (slower)"
fi

say "done"
