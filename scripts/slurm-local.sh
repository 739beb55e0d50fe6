#!/usr/bin/env bash
# A real single-node Slurm on localhost, for the launcher's tests and for
# trying `attnlab sweep --launcher slurm` without a cluster. It runs Debian's
# slurmctld, slurmd and munged by hand (no systemd), with every file (key,
# sockets, state, spool, logs, pids) under one folder, and stops exactly the
# daemons it started, by pid. Needs root (slurmd starts jobs as their user).
#
#   scripts/slurm-local.sh up   [DIR] [--port N]  install if missing, start, wait until idle
#   scripts/slurm-local.sh down [DIR]             stop the daemons started in DIR, remove DIR
#   scripts/slurm-local.sh env  [DIR]             print `export SLURM_CONF=...` for the shell
#
# DIR defaults to /tmp/attnlab-slurm; --port (default 6817) is slurmctld's,
# slurmd takes the next one, so that two clusters in two folders can coexist.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

command=${1:-}
[ -n "$command" ] || usage
shift
dir=/tmp/attnlab-slurm
port=6817
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --port=*) port=${1#--port=}; shift ;;
    -h|--help) usage ;;
    -*) echo "slurm-local: unknown option $1" >&2; usage ;;
    *) dir=$1; shift ;;
  esac
done
case "$port" in ''|*[!0-9]*) echo "slurm-local: --port must be a number, got '$port'" >&2; exit 2 ;; esac
dir=$(realpath -m "$dir")
conf=$dir/etc/slurm.conf

# True while process $1 exists and is not a zombie (PID 1 may reap late).
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  local state
  state=$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)
  [ "$state" != Z ]
}

stop_pidfile() {
  local file=$1 pid
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

down() {
  [ -d "$dir" ] || { echo "slurm-local: nothing running in $dir"; return 0; }
  stop_pidfile "$dir/run/slurmd.pid"
  stop_pidfile "$dir/run/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
  rm -rf "$dir"
  echo "slurm-local: stopped and removed $dir"
}

up() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-local: needs root (slurmd runs jobs as their owner); try: sudo $0 up $dir" >&2
    exit 3
  fi
  if [ -s "$dir/run/slurmctld.pid" ] && alive "$(cat "$dir/run/slurmctld.pid")"; then
    echo "slurm-local: already running in $dir"
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  local missing=()
  for p in slurmctld slurmd slurm-client munge; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm-local: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >/dev/null
  fi
  rm -rf "$dir"
  mkdir -p "$dir"/{etc,state,spool,log,run,munge}
  chmod 0755 "$dir"

  # munged refuses a key or socket folder that others could write; it runs as
  # the munge user with a fresh key.
  chown munge:munge "$dir/munge"
  chmod 0755 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chown munge:munge "$dir/munge/munge.key"
  chmod 0400 "$dir/munge/munge.key"
  local socket=$dir/munge/munge.socket
  runuser -u munge -- /usr/sbin/munged --key-file="$dir/munge/munge.key" --socket="$socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed"

  local host cpus memory
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  cat >"$conf" <<EOF
# Written by scripts/slurm-local.sh: one node, localhost, no accounting.
ClusterName=attnlab-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
# A task that asks for no memory gets its CPUs' share of the node, not all of it.
DefMemPerCPU=$((memory / cpus))
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,defer_batch
ReturnToService=2
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$conf
  /usr/sbin/slurmctld -f "$conf"
  /usr/sbin/slurmd -f "$conf"
  for _ in $(seq 100); do
    if [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; then
      echo "slurm-local: node $host idle ($cpus CPUs, $memory MiB) in $dir"
      echo "export SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.1
  done
  echo "slurm-local: the node did not become idle in 10 s; logs in $dir/log:" >&2
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  down >&2
  exit 1
}

case "$command" in
  up) up ;;
  down) down ;;
  env) echo "export SLURM_CONF=$conf" ;;
  -h|--help|help) usage ;;
  *) echo "slurm-local: unknown command '$command'; valid: up, down, env" >&2; exit 2 ;;
esac
