#!/bin/sh
# Installs Hearth on an appliance, as docs/DEPLOY.md describes: the binaries, the users, the
# configuration, the systemd units and the D-Bus policies; then starts the units. Run it as
# root from a checkout after `cargo build --release` (docs/DEPLOY.md, "Build"):
#
#   sudo assets/deploy/install.sh [--bin FOLDER]
#
# FOLDER holds hearth, hearth-media-helper and hearth-image (default: target/release of the
# checkout). Running it again upgrades: the binaries, units and policies are replaced, the
# configuration in /etc/hearth is kept, and the running units are restarted. The appliance
# tests install Hearth into their guest with this very script.
set -eu

assets=$(cd "$(dirname "$0")/.." && pwd)
checkout=$(dirname "$assets")
bin="$checkout/target/release"
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="$2"; shift 2 ;;
        *) echo "install.sh: unknown argument $1 (expected --bin FOLDER)" >&2; exit 2 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root" >&2
    exit 1
fi
for program in hearth hearth-media-helper hearth-image; do
    if [ ! -x "$bin/$program" ]; then
        echo "install.sh: $bin/$program is missing: build first (docs/DEPLOY.md)" >&2
        exit 1
    fi
done

# The programs.
install -m 755 "$bin/hearth" "$bin/hearth-media-helper" "$bin/hearth-image" /usr/bin/

# The users: "hearth" draws the screen (DRM, input devices, libvirt where it runs);
# "hearth-images" fetches images; members of "hearth-control" may drive Hearth over D-Bus.
getent group hearth-control >/dev/null || groupadd --system hearth-control
if ! getent passwd hearth >/dev/null; then
    useradd --system --user-group --create-home --home-dir /var/lib/hearth \
        --shell /usr/sbin/nologin --comment "Hearth" hearth
fi
for group in video render input libvirt; do
    if getent group "$group" >/dev/null; then
        usermod --append --groups "$group" hearth
    fi
done
if ! getent passwd hearth-images >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /var/lib/hearth-images \
        --shell /usr/sbin/nologin --comment "Hearth image service" hearth-images
fi

# The configuration: installed once, never overwritten. The image service starts only
# once /etc/hearth/images.toml exists (assets/images.example.toml explains it).
install -d -m 755 /etc/hearth
if [ ! -e /etc/hearth/hearth.toml ]; then
    install -m 644 "$assets/hearth.example.toml" /etc/hearth/hearth.toml
fi

# The units, the D-Bus policies and the documentation the units point at.
install -m 644 "$assets/systemd/hearth.service" "$assets/systemd/hearth-images.service" \
    /etc/systemd/system/
install -d -m 755 /usr/share/dbus-1/system.d
install -m 644 "$assets/dbus/org.hearth.Shell1.conf" "$assets/dbus/org.hearth.Images1.conf" \
    /usr/share/dbus-1/system.d/
install -d -m 755 /usr/share/doc/hearth
for doc in DEPLOY.md IMAGES.md; do
    if [ -e "$checkout/docs/$doc" ]; then
        install -m 644 "$checkout/docs/$doc" /usr/share/doc/hearth/
    fi
done

# On the disk before anything starts: a power cut after installing must not leave empty
# unit files or programs behind (systemd takes an empty unit file for a masked unit).
sync

# Started now when systemd runs this system, else at its next boot. Hearth takes over
# tty1: no login prompt is started there at boot, whose start would race Hearth's (the unit
# conflicts with it, and either could win).
systemctl enable hearth.service hearth-images.service
systemctl disable getty@tty1.service 2>/dev/null || true
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl reload dbus.service
    systemctl restart hearth-images.service hearth.service
fi
echo "install.sh: Hearth is installed; journalctl -u hearth shows its log"
