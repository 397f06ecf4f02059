#!/bin/sh
# Unpacks Debian's syslog-ng (and the libraries it needs that are not installed) into a private
# directory, for the syslog bench's side-by-side run. Debian's syslog-ng-core conflicts with rsyslog,
# so it is never installed: `apt-get download` fetches the .deb files and `dpkg-deb -x` unpacks them.
# Usage: fetch-syslog-ng.sh DIR   (prints DIR/usr/sbin/syslog-ng when done; exits non-zero otherwise)
set -eu
dir="$1"
if [ -x "$dir/usr/sbin/syslog-ng" ]; then echo "$dir/usr/sbin/syslog-ng"; exit 0; fi
mkdir -p "$dir/debs"
cd "$dir/debs"
packages="syslog-ng-core"
for dep in libivykis0 libnet1 libwrap0 libpcre3 libjson-c5 libglib2.0-0 libcap2 libssl3 libsystemd0; do
  dpkg -s "$dep" 2>/dev/null | grep -q '^Status: install ok installed' || packages="$packages $dep"
done
apt-get download $packages >&2
for deb in ./*.deb; do dpkg-deb -x "$deb" "$dir"; done
test -x "$dir/usr/sbin/syslog-ng"
echo "$dir/usr/sbin/syslog-ng"
