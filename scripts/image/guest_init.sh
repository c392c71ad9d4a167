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
  IFS=: read -r ipaddr _ gw mask host dev _ <<CONF
$1
CONF
  dev=${dev:-eth0}
  while read -r mod; do
    insmod "/lib/modules/$mod" || say "insmod $mod failed"
  done </lib/modules/order
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

for word in $CMDLINE; do
  case $word in ip=*) setup_net "${word#ip=}" ;; esac
done

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
  *)
    say "unknown command: $1"
    bye
    ;;
esac
