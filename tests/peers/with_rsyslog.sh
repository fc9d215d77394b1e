#!/usr/bin/env bash
# Runs a Windows test under Wine against a real rsyslogd on loopback.
#
#   with_rsyslog.sh TEST.exe [ARGS...]
#
# The test learns the collector through RH_SYSLOG_UDP_PORT, RH_SYSLOG_TCP_PORT
# and RH_PEER_DIR (rsyslog writes RH_PEER_DIR/out.jsonl, and its own messages to
# RH_PEER_DIR/rsyslog.log). To restart the collector in the middle of a run, the
# test creates RH_PEER_DIR/restart-request and waits for RH_PEER_DIR/restart-done;
# freeze-request stops it reading, crash-request kills it and starts another
# (peer_lib.sh).
#
# TLS (RFC 5425): a throwaway CA made here signs the server's certificate (for
# localhost and 127.0.0.1) and an expired one. RH_SYSLOG_TLS_PORT serves the good
# certificate (on 127.0.0.1, and on 127.0.0.2, an address it does not name), RH_SYSLOG_TLS_EXPIRED_PORT the expired one, RH_SYSLOG_TLS_OLD_PORT
# the good one over TLS 1.0 and 1.1 only, RH_SYSLOG_TLS_CIPHER_PORT the good one with
# a cipher no client offers (Camellia: the handshake fails). RH_SYSLOG_TLS_CA is the
# CA's PEM file, RH_SYSLOG_TLS_OTHER_CA a CA that signed nothing (Unix paths),
# RH_SYSLOG_TLS_SHA1 and RH_SYSLOG_TLS_SHA256 the server certificate's thumbprints.
# RH_SYSLOG_RELP_PORT is RELP (imrelp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# The command line after the script: the test (or a benchmark) and its arguments.

dir=$(mktemp -d /tmp/rashangup-rsyslog.XXXXXX)
chmod 0777 "$dir"
# The TLS material apart, where only root may change it: the DLL takes a CaFile
# only from a folder no one else controls (rsyslog, as nobody, may still read it).
tlsroot=$(mktemp -d /tmp/rashangup-tls.XXXXXX)
chmod 0711 "$tlsroot"
pid=

source "$here/peer_lib.sh"

start() {
  "${as_peer[@]}" rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid" >>"$dir/rsyslog.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if ss -Hlnt "( sport = :$tcp )" | grep -q . && ss -Hlnu "( sport = :$udp )" | grep -q . &&
      [ "$(ss -Hlnt "( sport = :$tls )" | wc -l)" -eq 2 ] &&
      ss -Hlnt "( sport = :$tls_expired )" | grep -q . &&
      ss -Hlnt "( sport = :$tls_old )" | grep -q . && ss -Hlnt "( sport = :$tls_cipher )" | grep -q . &&
      ss -Hlnt "( sport = :$relp )" | grep -q .; then
      return
    fi
    sleep 0.05
  done
  echo "rsyslogd did not start:" >&2
  cat "$dir/rsyslog.log" >&2
  exit 1
}

stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    kill -CONT "$pid" 2>/dev/null || true # a frozen one takes the signal once it runs
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}

# The collector stops reading: its sockets still take bytes until their buffers fill.
freeze() {
  kill -STOP "$pid"
}

# It dies with what it had not read (SIGKILL, even while frozen); a new one starts.
crash() {
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  start
}

cleanup() {
  stop
  rm -rf "$dir" "$tlsroot"
}
trap cleanup EXIT

# certtool (gnutls-bin): a CA, the server's certificate, an expired one, and a CA
# that signed nothing. RSA keys: what every Schannel and GnuTLS version takes.
make_certs() {
  local d=$tlsroot/tls
  mkdir -p "$d"
  key() { certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$d/$1" 2>/dev/null; }
  key ca.key
  key other-ca.key
  key server.key
  printf 'cn = "rashangup test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$d/ca.tmpl"
  printf 'cn = "rashangup untrusted CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$d/other-ca.tmpl"
  local server='cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nencryption_key\n'
  printf "${server}expiration_days = 2\n" >"$d/server.tmpl"
  printf "${server}activation_date = \"2020-01-01 00:00:00 UTC\"\nexpiration_date = \"2020-01-02 00:00:00 UTC\"\n" >"$d/expired.tmpl"
  certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
    --outfile "$d/ca.pem" 2>/dev/null
  certtool --generate-self-signed --load-privkey "$d/other-ca.key" --template "$d/other-ca.tmpl" \
    --outfile "$d/other-ca.pem" 2>/dev/null
  for c in server expired; do
    certtool --generate-certificate --load-privkey "$d/server.key" --load-ca-certificate "$d/ca.pem" \
      --load-ca-privkey "$d/ca.key" --template "$d/$c.tmpl" --outfile "$d/$c.pem" 2>/dev/null
  done
  chmod 0755 "$d"
  chmod 0644 "$d"/*
}

udp=$(free_port)
taken+="$udp "
tcp=$(free_port)
taken+="$tcp "
tls=$(free_port)
taken+="$tls "
tls_expired=$(free_port)
taken+="$tls_expired "
tls_old=$(free_port)
taken+="$tls_old "
tls_cipher=$(free_port)
taken+="$tls_cipher "
relp=$(free_port)
make_certs
sed -e "s|@DIR@/tls|$tlsroot/tls|g" -e "s|@DIR@|$dir|g" -e "s|@UDP@|$udp|g" -e "s|@TCP@|$tcp|g" -e "s|@TLS@|$tls|g" \
  -e "s|@TLS_EXPIRED@|$tls_expired|g" -e "s|@TLS_OLD@|$tls_old|g" \
  -e "s|@TLS_CIPHER@|$tls_cipher|g" -e "s|@RELP@|$relp|g" "$here/rsyslog.conf.in" \
  >"$dir/rsyslog.conf"
rsyslogd -N1 -f "$dir/rsyslog.conf" >/dev/null
start

export RH_SYSLOG_UDP_PORT=$udp RH_SYSLOG_TCP_PORT=$tcp RH_PEER_DIR=$dir
export RH_SYSLOG_TLS_PORT=$tls RH_SYSLOG_TLS_EXPIRED_PORT=$tls_expired RH_SYSLOG_TLS_OLD_PORT=$tls_old
export RH_SYSLOG_TLS_CIPHER_PORT=$tls_cipher RH_SYSLOG_RELP_PORT=$relp
export RH_SYSLOG_TLS_CA=$tlsroot/tls/ca.pem RH_SYSLOG_TLS_OTHER_CA=$tlsroot/tls/other-ca.pem
RH_SYSLOG_TLS_SHA1=$(certtool --fingerprint --hash=sha1 --infile "$tlsroot/tls/server.pem")
RH_SYSLOG_TLS_SHA256=$(certtool --fingerprint --hash=sha256 --infile "$tlsroot/tls/server.pem")
export RH_SYSLOG_TLS_SHA1 RH_SYSLOG_TLS_SHA256
status=0
rh_peer_run "$dir" "$root/scripts/wine-run" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- rsyslogd's log:" >&2
  cat "$dir/rsyslog.log" >&2
  ls -la "$dir" >&2
fi
exit "$status"
