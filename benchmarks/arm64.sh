#!/usr/bin/env bash
# The README's set-up and commands on 64-bit ARM (the Pi's processor), under emulation.
#
#   sudo benchmarks/arm64.sh            # everything below; prints a report at the end
#
# Not part of CI: it takes an hour or more on a small machine. Run as root (chroot, mounts).
#
# 1. Builds a Debian 12 (bookworm) arm64 root with Debian's own tools: debootstrap with
#    qemu-user-static through binfmt_misc. Bookworm is what Raspberry Pi OS Bookworm is
#    built from: the same glibc (2.36) and Python (3.11). The root is cached in
#    $PI_PAUSE_ARM64_CACHE (default ~/.cache/pi-pause-arm64), so a second run reuses it.
#    The Debian mirror is this machine's own, read from /etc/apt/sources.list*; pip's
#    index (and certificate bundle) are this machine's pip settings, read at run time.
# 2. Puts a clone of this checkout's HEAD (committed work only) at /opt/pi-pause in it.
# 3. Sets it up the way a Pi would. `./bootstrap.sh run` cannot finish in a chroot: no
#    systemd to install the unit into, and python3-lgpio comes from the Raspberry Pi OS
#    archive, not Debian's. So it shows bootstrap's Pi plan (PI_PAUSE_DRY_RUN=1
#    PI_PAUSE_TARGET=pi) and then runs its Python steps by hand, as docs/setup-pi.md's
#    "By hand" lists them: /usr/bin/python3 -m venv --system-site-packages .venv, then
#    pip install -e . (with the [test] extra, for step 4's tests).
# 4. Runs, on ARM: pi-pause doctor; pi-pause say + detect --json; the same two-stage ear on
#    noisy recordings made here on x86-64 (benchmarks/arm64_compare.py clips), compared
#    with this machine's run on the same files; pi-pause preview pause (Piper through
#    onnxruntime); and the tests that cover the compiled parts.
#
# Emulated steps run under `nice -n 19`. The x86 side uses this checkout's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd -P)
cache=${PI_PAUSE_ARM64_CACHE:-$HOME/.cache/pi-pause-arm64}
root=$cache/root
work=$cache/run                     # this run's recordings and results
suite=bookworm
nice_run=(nice -n 19)
# The tests that load the compiled parts: PocketSphinx and Vosk-ko (test_spotter), the
# ctranslate2 verifier (test_verifier, test_two_stage), the openWakeWord embedding
# (test_embedding_spotter), Piper (test_preview), the doctor (test_doctor).
tests=${PI_PAUSE_ARM64_TESTS:-tests/test_verifier.py tests/test_two_stage.py tests/test_spotter.py tests/test_embedding_spotter.py tests/test_preview.py tests/test_doctor.py}

say() { printf '\n==> %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "run as root: it builds a chroot (sudo $0)" >&2; exit 2; }
[ -x .venv/bin/python ] || { echo "no .venv here: run ./bootstrap.sh test first (the x86 side)" >&2; exit 2; }

# -- the tools, from Debian ---------------------------------------------------------
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
# F (fix binary): the kernel opens qemu once, so it works inside the chroot without a copy.
grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
  || { echo "binfmt qemu-aarch64 lacks the F flag; reinstall qemu-user-static" >&2; exit 1; }

# -- where packages come from: this machine's own settings ---------------------------
# The first Debian source that serves $suite itself (not -security, not -updates).
mirror=$(python3 - "$suite" <<'EOF'
import glob, sys
suite = sys.argv[1]
found = []
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*")):
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".sources"):  # deb822 stanzas
        for stanza in text.split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                if ":" in line and not line.startswith(("#", " ")):
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
            if "deb" in fields.get("types", []) and suite in fields.get("suites", []):
                found += fields.get("uris", [])
    else:  # one-line format
        for line in text.splitlines():
            words = [w for w in line.split() if not w.startswith("[")]
            if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
                found.append(words[1])
print(next((u for u in found if "security" not in u), ""))
EOF
)
[ -n "$mirror" ] || { echo "no Debian $suite source in /etc/apt/sources.list*" >&2; exit 1; }
# pip: an index named in this machine's pip settings (PIP_INDEX_URL wins), else pip's default.
# Local file:// indexes hold x86 wheels only, so they are not passed on.
index=${PIP_INDEX_URL:-$(.venv/bin/python -m pip config get global.index-url 2>/dev/null || true)}
case "$index" in file:*) index="" ;; esac
cert=${PIP_CERT:-$(.venv/bin/python -m pip config get global.cert 2>/dev/null || true)}

# -- the arm64 root -----------------------------------------------------------------
mkdir -p "$cache" && rm -rf "$work" && mkdir -p "$work"
if [ ! -e "$root/.pi-pause-root" ]; then
  say "building a Debian $suite arm64 root in $root (debootstrap under qemu; long, once)"
  rm -rf "$root.tmp"
  "${nice_run[@]}" debootstrap --arch=arm64 --variant=minbase \
    --include=python3,python3-venv,python3-pip,python3-dev,build-essential,git,ca-certificates,libportaudio2,alsa-utils,espeak-ng \
    "$suite" "$root.tmp" "$mirror"
  rm -rf "$root" && mv "$root.tmp" "$root"
  touch "$root/.pi-pause-root"
else
  say "reusing the arm64 root in $root"
fi

# QEMU emulates the Pi 4's core, a Cortex-A72 (ARMv8.0: no dot-product or SVE instructions),
# not its default "max" CPU: a wheel built for a newer core fails here as it would on a Pi 4.
cpu=${PI_PAUSE_ARM64_CPU:-cortex-a72}
mounts=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
# The CPU as the Pi shows it. Under qemu, ARM code would read the host's /proc/cpuinfo (x86)
# and /sys: the cpuinfo library inside TensorFlow Lite and onnxruntime then crashes (SIGSEGV
# in the first TfLiteInterpreterInvoke; at onnxruntime's import with the host's /sys). So the
# root gets a Pi's: /proc/cpuinfo as a 64-bit Pi 4 (or 5) prints it, and /sys's CPU lists.
pi_cpuinfo() {  # $1: cortex-a72 (Pi 4, BCM2711) or cortex-a76 (Pi 5, BCM2712)
  local part=0xd08 rev=3 features="fp asimd evtstrm crc32 cpuid" model="Raspberry Pi 4 Model B Rev 1.4" n
  if [ "$1" = cortex-a76 ]; then
    part=0xd0b rev=1 model="Raspberry Pi 5 Model B Rev 1.0"
    features="fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp"
  fi
  for n in 0 1 2 3; do
    printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: %s\nCPU implementer\t: 0x41\n' "$n" "$features"
    printf 'CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: %s\nCPU revision\t: %s\n\n' "$part" "$rev"
  done
  printf 'Model\t\t: %s\n' "$model"
}
mkdir -p "$cache/pi/sys/devices/system/cpu"
for n in 0 1 2 3; do mkdir -p "$cache/pi/sys/devices/system/cpu/cpu$n"; done
for f in possible present online; do echo 0-3 > "$cache/pi/sys/devices/system/cpu/$f"; done
echo 3 > "$cache/pi/sys/devices/system/cpu/kernel_max"
pi_cpuinfo "$cpu" > "$cache/pi/cpuinfo"
for m in proc sys dev dev/pts proc/cpuinfo; do
  if ! mountpoint -q "$root/$m"; then
    case $m in
      proc) mount -t proc proc "$root/proc" ;;
      sys) mount --bind "$cache/pi/sys" "$root/sys" ;;
      proc/cpuinfo) mount --bind "$cache/pi/cpuinfo" "$root/proc/cpuinfo" ;;
      *) mount --rbind "/$m" "$root/$m"; mount --make-rslave "$root/$m" ;;
    esac
    mounts+=("$root/$m")
  fi
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[ -n "$cert" ] && [ -f "$cert" ] && cp "$cert" "$root/etc/pi-pause-arm64-ca.crt"

inside() {  # a command in the arm64 root, as on the Pi, from /opt/pi-pause
  "${nice_run[@]}" chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb QEMU_CPU="$cpu" \
    PATH=/opt/pi-pause/.venv/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${index:+PIP_INDEX_URL=$index} ${cert:+PIP_CERT=/etc/pi-pause-arm64-ca.crt} \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
    /bin/bash -c "cd /opt/pi-pause && $1"
}

# -- an instruction counter: benchmarks/insn_count/insn_count.c, a QEMU plugin -----------
# Debian's qemu-user (the dynamic build; the static one cannot load plugins) accepts
# -plugin but ships no plugins, so this builds one against QEMU's plugin header, taken
# from Debian's own qemu source package. Prints why not, and fails, when it cannot.
build_counter() {
  local plugin=$cache/insn_count.so src=$cache/qemu-src header lib
  if [ ! -f "$plugin" ] || [ benchmarks/insn_count/insn_count.c -nt "$plugin" ]; then
    { dpkg -s qemu-user gcc libglib2.0-dev pkg-config >/dev/null 2>&1 \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user gcc libglib2.0-dev pkg-config; } >&2 \
      || { echo "cannot install qemu-user and a compiler"; return 1; }
    header=$(find "$src" -name qemu-plugin.h 2>/dev/null | head -1)
    if [ -z "$header" ]; then
      mkdir -p "$src/lists/partial"
      echo "deb-src $mirror $suite main" > "$src/sources.list"
      local apt_src=(-o Dir::Etc::SourceList="$src/sources.list" -o Dir::Etc::SourceParts=/dev/null
                     -o Dir::State::Lists="$src/lists")
      (cd "$src" && apt-get "${apt_src[@]}" update -qq && apt-get "${apt_src[@]}" source --download-only qemu) >&2 \
        || { echo "cannot download Debian's qemu source"; return 1; }
      tar -C "$src" -xJf "$src"/qemu_*.orig.tar.xz --wildcards '*/include/qemu/qemu-plugin.h'
      header=$(find "$src" -name qemu-plugin.h | head -1)
    fi
    # shellcheck disable=SC2046  # pkg-config's flags are words
    gcc -shared -fPIC -O2 $(pkg-config --cflags glib-2.0) -I "$(dirname "$header")" \
      -o "$plugin" benchmarks/insn_count/insn_count.c >&2 || { echo "the plugin does not compile"; return 1; }
  fi
  rm -rf "$root/opt/qemu-count" && mkdir -p "$root/opt/qemu-count"
  cp /usr/bin/qemu-aarch64 "$plugin" "$root/opt/qemu-count/"
  for lib in $(ldd /usr/bin/qemu-aarch64 | awk '/=> \// {print $3}'); do cp -L "$lib" "$root/opt/qemu-count/"; done
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/opt/qemu-count/ld.so"
  echo "$plugin"
}

# -- a clone of this checkout -------------------------------------------------------
say "cloning $(git rev-parse --short HEAD) into $root/opt/pi-pause"
if [ -d "$root/opt/pi-pause/.git" ]; then  # keep its .venv: only the code changes
  git -C "$root/opt/pi-pause" fetch -q "$here" HEAD
  git -C "$root/opt/pi-pause" reset -q --hard FETCH_HEAD
else
  git clone -q "$here" "$root/opt/pi-pause"
fi

say "arm64: the system"
# shellcheck disable=SC2016  # expanded inside the root
inside 'uname -m; . /etc/os-release; echo "$PRETTY_NAME"; ldd --version | head -1; /usr/bin/python3 --version'

say "arm64: what ./bootstrap.sh run would do on a Pi (dry run: no systemd in a chroot)"
inside 'PI_PAUSE_DRY_RUN=1 PI_PAUSE_TARGET=pi ./bootstrap.sh run | sed -n "1,/^Then it checks/p"'

say "arm64: its Python steps, by hand (docs/setup-pi.md, \"By hand\")"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
inside "if [ \"\$(cat .venv/.arm64-installed 2>/dev/null)\" != $want ]; then
          /usr/bin/python3 -m venv --system-site-packages .venv &&
          .venv/bin/python -m pip install -q --upgrade pip &&
          .venv/bin/python -m pip install -q -e '.[test]' && echo $want > .venv/.arm64-installed
        else echo 'already installed (pyproject.toml unchanged)'; fi
        grep include-system-site-packages .venv/pyvenv.cfg
        .venv/bin/python -m pip list 2>/dev/null | grep -i -E '^(numpy|ctranslate2|onnxruntime|pocketsphinx|vosk|pyopen-wakeword|piper-tts|tokenizers|soxr) '"

# -- the recordings, made here (x86-64) ---------------------------------------------
say "x86-64: noisy recordings (benchmarks/arm64_compare.py clips)"
rm -rf "$work/clips" && mkdir -p "$work/clips"
nice -n 10 .venv/bin/python -m benchmarks.arm64_compare clips "$work/clips"
rm -rf "$root/opt/recordings" && cp -r "$work/clips" "$root/opt/recordings"

say "arm64: pi-pause doctor (no microphone or speaker in a chroot; GPIO is the stand-in)"
inside 'pi-pause doctor' || true

say "arm64: pi-pause say + detect"
inside 'pi-pause say "let'"'"'s take a pause" --out /opt/recordings/p.wav && pi-pause detect /opt/recordings/p.wav --json'
cp "$root/opt/recordings/p.wav" "$work/clips/p.wav"

say "arm64: every verifier score on each recording, counting instructions"
if counter=$(build_counter); then
  # The dynamic qemu-aarch64 with the plugin, run inside the root through its own x86 loader,
  # as the Pi 4's core and then as the Pi 5's (Cortex-A76: ARMv8.2, with dot products):
  # the libraries pick their kernels by what the core offers, so the counts may differ.
  for core in ${PI_PAUSE_ARM64_COUNT_CPUS:-cortex-a72 cortex-a76}; do
    pi_cpuinfo "$core" > "$cache/pi/cpuinfo"  # the same file (inode) the root sees
    inside "exec /opt/qemu-count/ld.so --library-path /opt/qemu-count /opt/qemu-count/qemu-aarch64 \
              -cpu $core -plugin /opt/qemu-count/insn_count.so,out=/opt/recordings/marks-$core.txt \
              /opt/pi-pause/.venv/bin/python -m benchmarks.arm64_compare scores /opt/recordings/*.wav \
              --json /opt/recordings/arm64-$core.json"
    echo "as $core:"
    inside "python -m benchmarks.arm64_compare counts /opt/recordings/arm64-$core.json /opt/recordings/marks-$core.txt"
    cp "$root/opt/recordings/arm64-$core.json" "$work/"
  done
  pi_cpuinfo "$cpu" > "$cache/pi/cpuinfo"
else
  echo "no instruction counter ($counter); scores only"
  inside "python -m benchmarks.arm64_compare scores /opt/recordings/*.wav --json /opt/recordings/arm64-$cpu.json"
  cp "$root/opt/recordings/arm64-$cpu.json" "$work/"
fi

say "x86-64: the same recordings"
nice -n 10 .venv/bin/python -m benchmarks.arm64_compare scores "$work"/clips/*.wav --json "$work/x86.json"

compared=0
for arm in "$work"/arm64-*.json; do
  say "x86-64 against arm64 ($(basename "$arm" .json | cut -d- -f2-))"
  .venv/bin/python -m benchmarks.arm64_compare compare "$work/x86.json" "$arm" || compared=1
done

say "arm64: pi-pause preview pause (Piper through onnxruntime; breathing_minutes = 1 to save time)"
inside 'printf "[pause]\nbreathing_minutes = 1\n" > /tmp/short.toml &&
        pi-pause --config /tmp/short.toml preview pause --out /tmp/x.wav | tail -1 &&
        python -c "import wave; w = wave.open(\"/tmp/x.wav\"); print(w.getnframes() / w.getframerate(), \"s at\", w.getframerate(), \"Hz\")"'

say "arm64: the tests that load the compiled parts"
# Their Korean test speech comes from espeak-ng, as bootstrap.sh's test packages have it.
inside 'dpkg -s espeak-ng >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng; }'
inside "python -m pytest -q -p no:cacheprovider $tests" || { echo "some tests failed on arm64"; compared=1; }

say "arm64: pi-pause detect --json on each noisy recording"
# shellcheck disable=SC2016  # expanded inside the root
inside 'for f in /opt/recordings/*.wav; do echo "$(basename "$f"): $(pi-pause detect "$f" --json | tr "\n" " ")"; done'

say "done: results in $work"
exit "$compared"
