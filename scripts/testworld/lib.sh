# Helpers shared by up.sh and dane.sh (sourced, not run).

log() { echo "${0##*/}: $*"; }

# install_file TARGET: replaces TARGET with stdin when different; returns 0 if it changed.
install_file() {
  local target=$1 tmp
  tmp=$(mktemp "$target.XXXXXX")
  cat >"$tmp"
  if [[ -f $target ]] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    return 1
  fi
  chmod 644 "$tmp"
  mv "$tmp" "$target"
  return 0
}

# pid_alive PIDFILE NAME: the pid file names a live process called NAME (not a reused pid).
pid_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(tr -dc 0-9 <"$1")
  [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]]
}

# listening PORT: something listens on TCP 127.0.0.1:PORT
listening() { ss -Hltn "sport = :$1" | grep -q .; }

# wait_port PORT
wait_port() {
  local port=$1 i
  for i in $(seq 1 100); do
    if listening "$port"; then return 0; fi
    sleep 0.1
  done
  echo "${0##*/}: nothing listens on 127.0.0.1:$port" >&2
  return 1
}

# stop_pidfile PIDFILE NAME
stop_pidfile() {
  local pidfile=$1 pid i
  if pid_alive "$pidfile" "$2"; then
    pid=$(tr -dc 0-9 <"$pidfile")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}
