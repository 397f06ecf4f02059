#!/usr/bin/env bash
# Installs the Debian packages the test suite uses as real peers (kcat, rsyslog, logrotate,
# librdkafka for the Kafka mock cluster, ...). Skips packages already installed; needs root
# (or sudo) and network access to Debian's archive. Safe to run repeatedly.
set -euo pipefail
PACKAGES=(build-essential librdkafka1 librdkafka-dev kcat rsyslog bsdutils logrotate netcat-openbsd curl openssl graphviz python3-snappy python3-lz4 tmux thrift-compiler python3-thrift)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-test-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
