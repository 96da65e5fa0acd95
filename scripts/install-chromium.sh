#!/usr/bin/env bash
# Installs Debian's chromium package when no Chromium is on PATH, for the report test
# (headless rendering of `tributary report`). Idempotent: prints the browser's path and exits 0
# when it is already there. Needs apt-get and root; says so in one line otherwise.
set -euo pipefail

find_chromium() {
  command -v chromium || command -v chromium-browser || true
}

existing="$(find_chromium)"
if [[ -n "$existing" ]]; then
  echo "$existing"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: Chromium is not installed and apt-get is not available: install Chromium (or chromium-browser) yourself and put it on PATH" >&2
  exit 1
fi
if [[ "$(id -u)" != "0" ]]; then
  echo "error: Chromium is not installed and installing Debian's chromium package needs root: run 'sudo apt-get install -y chromium' once" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (another test, another person) instead of failing on its lock.
apt_install() { apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium fonts-liberation >&2; }
# Fresh machines may have stale or empty package lists: refresh them once and try again.
if ! apt_install; then
  apt-get -o DPkg::Lock::Timeout=600 update >&2
  apt_install
fi

installed="$(find_chromium)"
if [[ -z "$installed" ]]; then
  echo "error: apt-get installed the chromium package but no chromium command is on PATH" >&2
  exit 1
fi
echo "$installed"
