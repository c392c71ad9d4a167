#!/bin/sh
# /init of the test guest (Debian kernel + busybox initrd). urunc's `linux` type boots it with
#   ... ip=IP::GW:MASK:urunc:eth0:off KEY=VALUE... rdinit=/init -- ARGS
# The kernel hands the words after `--` to us as argv and unknown KEY=VALUE words as env.
# Every line meant for tests starts with "URUNC-TEST-GUEST:" so it is easy to find among
# the kernel's own console output.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# IFS= keeps a trailing space: urunc ends an argument-less cmdline in "-- ".
IFS= read -r CMDLINE </proc/cmdline
echo "URUNC-TEST-GUEST: booted"
echo "cmdline: $CMDLINE"

say() { echo "URUNC-TEST-GUEST: $*"; }
bye() {
  say bye
  poweroff -f
  # Only reached if poweroff failed: init exiting panics the kernel, and with panic=-1 plus
  # qemu's -no-reboot that still ends the VM.
  exit 0
}

# Dotted netmask -> prefix length.
prefix_of() {
  n=0
  IFS=. read -r a b c d <<MASK
$1
MASK
  for o in $a $b $c $d; do
    while [ "$o" -gt 0 ]; do
      n=$((n + (o & 1)))
      o=$((o >> 1))
    done
  done
  echo $n
}

# The kernel's CONFIG_IP_PNP is off, so ip= is ours to apply. virtio drivers are modules.
setup_net() {
  # ip=<client>:<server>:<gw>:<mask>:<hostname>:<device>:<autoconf>
  IFS=: read -r ipaddr _ gw mask host dev _ dns0 dns1 <<CONF
$1
CONF
  for d in $dns0 $dns1; do
    echo "nameserver $d" >>/etc/resolv.conf
    say "dns $d"
  done
  dev=${dev:-eth0}
  i=0
  while [ ! -e "/sys/class/net/$dev" ] && [ $i -lt 100 ]; do
    usleep 50000
    i=$((i + 1))
  done
  [ -n "$host" ] && hostname "$host"
  ip link set lo up
  if ip link set "$dev" up && ip addr add "$ipaddr/$(prefix_of "$mask")" dev "$dev"; then
    [ -n "$gw" ] && ip route add default via "$gw"
    say "net $dev $ipaddr/$(prefix_of "$mask") gw ${gw:-none}"
  else
    say "net-error $dev not configured"
  fi
}

# The modules (net, disks, 9p, ext4, in dependency order) cost seconds under TCG: loaded only
# for a network, another root or urunit's config; after switch_root they are loaded already.
case " $CMDLINE " in
  *" ip="* | *" URUNIT_CONFIG="* | *" root=/dev/vda "* | *" root=fs0 "*)
    if [ -f /lib/modules/order ]; then
      while read -r mod; do
        insmod "/lib/modules/$mod" 2>/dev/null
      done </lib/modules/order
    fi
    ;;
esac

ROOT="" ROOTFSTYPE="" ROOTFLAGS="" INIT=""
for word in $CMDLINE; do
  case $word in
    ip=*) setup_net "${word#ip=}" ;;
    root=*) ROOT=${word#root=} ;;
    rootfstype=*) ROOTFSTYPE=${word#rootfstype=} ;;
    rootflags=*) ROOTFLAGS=${word#rootflags=} ;;
    init=*) INIT=${word#init=} ;;
    --) break ;;
  esac
done

# urunit's config (upstream urunc >= 0.7): env (UES..UEE), UID/GID/WD (UCS..UCE), block
# volumes by virtio serial (UBS..UBE) and, urunc's addition, shared directories (UFS..UFE).
# $1: prefix for mount points (the new root before switch_root).
apply_urunit_config() {
  [ -n "$URUNIT_CONFIG" ] && [ -r "$URUNIT_CONFIG" ] || return 0
  say "urunit config $URUNIT_CONFIG"
  sect="" id="" mp="" fs=""
  while IFS= read -r line; do
    case $line in
      UES | UCS | UBS | UFS) sect=$line; continue ;;
      UEE | UCE | UBE | UFE) sect=""; continue ;;
    esac
    case $sect in
      UES) export "$line" ;;
      UCS) case $line in
          UID:*) export URUNIT_UID=${line#UID:} ;;
          GID:*) export URUNIT_GID=${line#GID:} ;;
          WD:*) export URUNIT_WD=${line#WD:} ;;
        esac ;;
      UBS) case $line in
          ID:*) id=${line#ID:} ;;
          MP:*) mp=${line#MP:}
            dev=""
            i=0
            while [ -z "$dev" ] && [ $i -lt 100 ]; do
              for s in /sys/block/vd*/serial; do
                [ -r "$s" ] && [ "$(cat "$s")" = "$id" ] && dev=/dev/$(basename "$(dirname "$s")")
              done
              [ -z "$dev" ] && usleep 50000
              i=$((i + 1))
            done
            mkdir -p "$1$mp"
            if [ -n "$dev" ] && { mount -t ext4 "$dev" "$1$mp" 2>/dev/null || mount -t ext4 -o ro "$dev" "$1$mp"; }; then
              say "disk $id $dev on $mp"
            else
              say "disk-error $id not mounted on $mp"
            fi ;;
        esac ;;
      UFS) case $line in
          ID:*) id=${line#ID:} ;;
          MP:*) mp=${line#MP:} ;;
          FS:*) fs=${line#FS:} ;;
          RO:*) ro=""
            [ "${line#RO:}" = 1 ] && ro=",ro"
            mkdir -p "$1$mp"
            if mount -t "$fs" -o "trans=virtio,version=9p2000.L$ro" "$id" "$1$mp"; then
              say "share $id on $mp${ro:+ read-only}"
            else
              say "share-error $id not mounted on $mp"
            fi ;;
        esac ;;
    esac
  done <"$URUNIT_CONFIG"
}

# Early userspace: the initrd beside a block or shared root mounts it and hands over.
if [ -n "$ROOT" ] && [ "$ROOT" != /dev/ram0 ] && grep -q '^rootfs / ' /proc/mounts; then
  mkdir -p /newroot
  case $ROOTFSTYPE in
    9p | virtiofs) mount -t "$ROOTFSTYPE" -o "${ROOTFLAGS:-rw}" "$ROOT" /newroot ;;
    *)
      i=0
      while [ ! -b "$ROOT" ] && [ $i -lt 100 ]; do usleep 50000; i=$((i + 1)); done
      mount -t "${ROOTFSTYPE:-ext4}" "$ROOT" /newroot
      ;;
  esac || { say "root-error $ROOT not mounted"; bye; }
  say "root $ROOT ($(grep ' /newroot ' /proc/mounts | cut -d' ' -f3)) init $INIT"
  apply_urunit_config /newroot
  unset URUNIT_CONFIG
  cp /etc/resolv.conf /newroot/etc/resolv.conf 2>/dev/null
  umount /proc /sys /dev 2>/dev/null
  exec switch_root /newroot "${INIT:-/init}" "$@"
fi
apply_urunit_config ""
[ -n "$URUNIT_WD" ] && cd "$URUNIT_WD"

# urunc wraps an argument containing spaces in single quotes (the urunit convention) and the
# kernel splits on spaces regardless: re-join 'two words' into one argument, as urunit does.
args=""
acc=""
quoted=0
nl='
'
for a in "$@"; do
  if [ $quoted = 1 ]; then
    case $a in
      *\') args="$args$acc ${a%\'}$nl" quoted=0 ;;
      *) acc="$acc $a" ;;
    esac
  else
    case $a in
      \'*\') [ ${#a} -ge 2 ] && a=${a#\'} && a=${a%\'}; args="$args$a$nl" ;;
      \'*) acc=${a#\'} quoted=1 ;;
      *) args="$args$a$nl" ;;
    esac
  fi
done
[ $quoted = 1 ] && args="$args'$acc$nl"
set -f
IFS=$nl
# shellcheck disable=SC2086 # splitting on newlines is the point
set -- $args
unset IFS
set +f
printf 'URUNC-TEST-GUEST: argv:'
for a in "$@"; do printf ' [%s]' "$a"; done
echo

case $1 in
  "" | poweroff) bye ;;
  exit)
    code=${2:-0}
    say "exit $code"
    # qemu's isa-debug-exit device (port 0xf4, when the host config adds it) ends qemu with
    # status 2V+1 for a written byte V: an odd status N reaches the host as the monitor's.
    if [ $((code % 2)) = 1 ] && [ -e /dev/port ]; then
      # shellcheck disable=SC2059 # the format is the byte
      printf "\\$(printf %03o $(((code - 1) / 2)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    fi
    bye
    ;;
  echo)
    shift
    say "echo $*"
    bye
    ;;
  env)
    env | sort | while read -r line; do say "env $line"; done
    bye
    ;;
  serve)
    mkdir -p /www
    echo URUNC-TEST-GUEST-HTTP >/www/index.html
    httpd -f -p 8080 -h /www &
    say "serving http on :8080"
    while :; do sleep 3600; done
    ;;
  sleep)
    while :; do sleep 3600; done
    ;;
  tick)
    # a line a second: a paused (frozen) VM stops printing them
    n=0
    while :; do
      n=$((n + 1))
      say "tick $n"
      sleep 1
    done
    ;;
  sh)
    # One shell script; every output line is tagged, then the exit status.
    sh -c "$2" 2>&1 | while IFS= read -r line; do say "out $line"; done
    say "ids uid=${URUNIT_UID:-} gid=${URUNIT_GID:-} wd=$(pwd)"
    bye
    ;;
  *)
    say "unknown command: $1"
    bye
    ;;
esac
