# Shared by tools/test, tools/demo and the Odoo benchmarks: a throwaway PostgreSQL on 127.0.0.1 and an
# Odoo 19.0 configuration that sees this checkout as the addon `paylocity_connector`.
# Expects ROOT, WORK, PY, ODOO_TREE; progress goes to stderr so callers can capture results from stdout.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_PID_DIR=""
ODOO_ROLE=odoo
ODOO_ROLE_PASSWORD=odoo

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_postgres() {  # PostgreSQL refuses to run as root
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    PGDATA_DIR="$WORK/pg"
    PG_PORT=$(free_port)
    mkdir -p "$PGDATA_DIR" "$WORK/pgsock"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR" "$WORK/pgsock"
    as_postgres "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 \
        || { cat "$WORK/initdb.log" >&2; return 1; }
    # A test cluster: durability is not wanted, speed is.
    as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/server.log" -w start \
        -o "-h 127.0.0.1 -p $PG_PORT -k $WORK/pgsock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null || { cat "$WORK/pg/server.log" >&2; return 1; }
    PG_PID_DIR=$PGDATA_DIR
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q -c \
        "CREATE ROLE $ODOO_ROLE LOGIN CREATEDB PASSWORD '$ODOO_ROLE_PASSWORD'" postgres >/dev/null
    log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

pg_stop() {
    if [ -n "$PG_PID_DIR" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_PID_DIR" -m fast -w stop >/dev/null 2>&1 || true
        PG_PID_DIR=""
    fi
}

odoo_prepare() {  # addons path with this checkout under its technical name, and an Odoo config file
    mkdir -p "$WORK/addons" "$WORK/data"
    ln -sfn "$ROOT" "$WORK/addons/paylocity_connector"
    ODOO_HTTP_PORT=${ODOO_HTTP_PORT:-$(free_port)}
    ODOO_CONF="$WORK/odoo.conf"
    cat >"$ODOO_CONF" <<EOF
[options]
addons_path = $ODOO_TREE/addons,$WORK/addons
data_dir = $WORK/data
db_host = 127.0.0.1
db_port = $PG_PORT
db_user = $ODOO_ROLE
db_password = $ODOO_ROLE_PASSWORD
http_interface = 127.0.0.1
http_port = $ODOO_HTTP_PORT
gevent_port = $(free_port)
list_db = False
max_cron_threads = 0

# Every connection here points at the local sandbox (README: Configuration).
[paylocity_connector]
allow_host_overrides = True
EOF
}

odoo_bin() {  # odoo_bin <logfile> <args...>
    local logfile=$1; shift
    "$PY" "$ODOO_TREE/odoo-bin" -c "$ODOO_CONF" --logfile "$logfile" "$@" 2>>"$logfile.stderr"
}

# Lines at WARNING or above in an Odoo log, less the two harmless docutils notes ODOO-RUNTIME.md describes.
log_problems() {
    grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$1" || true
}

check_clean_log() {  # check_clean_log <what> <logfile>
    local problems
    problems=$(log_problems "$2")
    if [ -n "$problems" ]; then
        log "$1 logged warnings or errors:"
        echo "$problems" | head -n 40 >&2
        return 1
    fi
    log "$1: clean log"
}

odoo_suite() {  # prints "odoo: N passed, N failed" on stdout; non-zero when anything failed
    local failed=0 passed=0 rc=0 result
    pg_start && odoo_prepare || { echo "odoo: 0 passed, 1 failed (could not start PostgreSQL)"; return 1; }

    log "installing paylocity_connector without and with demo data"
    odoo_bin "$WORK/install-nodemo.log" -d pl_nodemo -i paylocity_connector --stop-after-init &
    local pid_nodemo=$!
    odoo_bin "$WORK/install-demo.log" -d pl_demo -i paylocity_connector --with-demo --stop-after-init
    local rc_demo=$?
    wait $pid_nodemo
    local rc_nodemo=$?
    [ $rc_nodemo -eq 0 ] && check_clean_log "install without demo data" "$WORK/install-nodemo.log" || failed=$((failed + 1))
    [ $rc_demo -eq 0 ] && check_clean_log "install with demo data" "$WORK/install-demo.log" || failed=$((failed + 1))

    log "upgrading paylocity_connector (-u)"
    odoo_bin "$WORK/upgrade.log" -d pl_demo -u paylocity_connector --stop-after-init
    [ $? -eq 0 ] && check_clean_log "upgrade" "$WORK/upgrade.log" || failed=$((failed + 1))

    log "running the addon's Odoo tests"
    odoo_bin "$WORK/tests.log" -d pl_demo -u paylocity_connector --test-enable \
        --test-tags /paylocity_connector --stop-after-init
    rc=$?
    result=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$WORK/tests.log" | tail -n 1)
    if [ -z "$result" ]; then
        log "the Odoo test run reported no result (exit $rc); last log lines:"
        tail -n 40 "$WORK/tests.log" >&2
        failed=$((failed + 1))
    else
        read -r f e t < <(echo "$result" | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/')
        passed=$((t - f - e))
        failed=$((failed + f + e))
        if [ $((f + e)) -ne 0 ]; then
            log "failing Odoo tests:"
            grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$WORK/tests.log" | head -n 60 >&2
        fi
        [ "$t" -eq 0 ] && { log "no Odoo test ran"; failed=$((failed + 1)); }
    fi
    if [ -n "${KEEP_LOGS:-}" ]; then
        mkdir -p "$KEEP_LOGS" && cp "$WORK"/*.log "$KEEP_LOGS"/ 2>/dev/null
        log "logs kept in $KEEP_LOGS"
    fi
    pg_stop
    echo "odoo: $passed passed, $failed failed"
    [ $failed -eq 0 ]
}

odoo_env_stop() {
    pg_stop
}
