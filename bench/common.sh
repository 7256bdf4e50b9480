# Shared by the SMTP benchmarks (sourced, not run): Postfix's smtp-source and smtp-sink
# without the daemon, the pigeonhole binary, free ports and waiting for a listener.
# The caller sets `here` (the bench directory) and `root`, and defines `die` and `say`.

# Sets smtp_source and smtp_sink. They come from Debian's postfix package, unpacked into
# bench/.cache (apt-get download + dpkg -x); the Postfix daemon is never installed.
postfix_tools() {
    local cache="$here/.cache" pfx="$here/.cache/postfix"
    if [ ! -x "$pfx/usr/sbin/smtp-source" ] || [ ! -x "$pfx/usr/sbin/smtp-sink" ]; then
        say "fetching smtp-source and smtp-sink from the postfix package"
        mkdir -p "$cache"
        rm -f "$cache"/postfix_*.deb
        if ! (cd "$cache" && apt-get download postfix >/dev/null 2>&1); then
            apt-get update >/dev/null 2>&1 || true
            (cd "$cache" && apt-get download postfix) || die "apt-get download postfix failed"
        fi
        rm -rf "$pfx"
        dpkg -x "$cache"/postfix_*.deb "$pfx"
    fi
    export LD_LIBRARY_PATH="$pfx/usr/lib/postfix${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    smtp_source="$pfx/usr/sbin/smtp-source"
    smtp_sink="$pfx/usr/sbin/smtp-sink"
}

# Sets `pigeonhole`: $2 if given, else target/release/pigeonhole, built first when $1 is 1.
pigeonhole_bin() {
    if [ "$1" = 1 ]; then
        say "cargo build --release -p pigeonhole-cli"
        (cd "$root" && cargo build --release -p pigeonhole-cli >&2)
    fi
    pigeonhole="${2:-${CARGO_TARGET_DIR:-$root/target}/release/pigeonhole}"
    [ -x "$pigeonhole" ] || die "no $pigeonhole; build it or drop --no-build"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (at most 10 s) until something accepts connections on 127.0.0.1:$1.
wait_listening() {
    python3 - "$1" <<'PY' || die "nothing listening on 127.0.0.1:$1 after 10 s"
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}
