# Throwaway PostgreSQL and MariaDB servers for the tests: each in a temporary folder, on a
# free loopback port (never the system services or the default ports), with a password
# user. Source it, then:
#   servers_start            starts both; exports STRATA_TEST_POSTGRES_URL and
#                            STRATA_TEST_MYSQL_URL (superuser URLs) and
#                            STRATA_TEST_MYSQL_VERSION, and prints versions
#   servers_stop             stops both and removes their folders (safe to call twice)
#   postgres_start [TLS]     one server (servers_start calls both); TLS, a folder holding
#   mariadb_start [TLS]      ca.crt, server.crt and server.key, turns TLS on with them (the
#                            clients' choice: plain connections are still accepted)
# Run as root, PostgreSQL runs as the 'postgres' system user (it refuses root).

servers_dir=""
pg_bin=""
pg_pid_dir=""
my_pid=""

# free_port: a loopback port nothing listens on, below the kernel's ephemeral range (a
# port in that range can be taken by any client connection between this check and the
# server's bind)
free_port() {
    local p low=32768 high
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    high=$((low > 12000 ? low : 32768))
    for _ in $(seq 1 50); do
        p=$((10000 + RANDOM % (high - 10000)))
        (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}

as_pg_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# postgres_start [TLS], mariadb_start [TLS]: up to three tries, each on a new port and in
# a new folder (a port taken between free_port and the bind fails one try only); the last
# try's log goes to stderr
postgres_start() {
    local try
    for try in 1 2 3; do
        postgres_start_once "$@" 2>"$servers_dir/pg-start.err" && return 0
        [ -n "$pg_pid_dir" ] && as_pg_user "$pg_bin/pg_ctl" -D "$pg_pid_dir" -m immediate -w stop >/dev/null 2>&1
        pg_pid_dir=""
        echo "PostgreSQL did not start (try $try of 3)" >&2
    done
    cat "$servers_dir/pg-start.err" >&2
    return 1
}

mariadb_start() {
    local try
    for try in 1 2 3; do
        mariadb_start_once "$@" 2>"$servers_dir/my-start.err" && return 0
        [ -n "$my_pid" ] && { kill -9 "$my_pid" 2>/dev/null; wait "$my_pid" 2>/dev/null; }
        my_pid=""
        echo "MariaDB did not start (try $try of 3)" >&2
    done
    cat "$servers_dir/my-start.err" >&2
    return 1
}

postgres_start_once() {
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -x "$pg_bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
    local dir="$servers_dir/pg" port password tls=""
    port=$(free_port) || return 1
    password="pg$RANDOM$RANDOM"
    rm -rf "$dir" && mkdir -p "$dir"
    printf '%s\n' "$password" >"$dir/pwfile"
    if [ -n "${1:-}" ]; then # the key must be the server's own and private
        cp "$1/server.crt" "$1/server.key" "$dir/" && chmod 600 "$dir/server.key" || return 1
        tls="-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
    fi
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    as_pg_user "$pg_bin/initdb" -D "$dir/data" -U strata --pwfile="$dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    as_pg_user "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100 $tls" \
        start >/dev/null || { pg_pid_dir="$dir/data"; cat "$dir/server.log" >&2; return 1; }
    pg_pid_dir="$dir/data"
    export STRATA_TEST_POSTGRES_URL="postgres://strata:$password@127.0.0.1:$port/postgres"
    echo "PostgreSQL on 127.0.0.1:$port: $(PGPASSWORD=$password psql -X -A -t -h 127.0.0.1 -p "$port" -U strata -d postgres -c 'SELECT version()')"
}

mariadb_start_once() {
    command -v mariadbd >/dev/null || { echo "MariaDB server not found (apt-get install mariadb-server)" >&2; return 1; }
    local dir="$servers_dir/mariadb" port password user=() tls=()
    port=$(free_port) || return 1
    password="my$RANDOM$RANDOM"
    rm -rf "$dir" && mkdir -p "$dir/tmp"
    [ -n "${1:-}" ] && tls=(--ssl-ca="$1/ca.crt" --ssl-cert="$1/server.crt" --ssl-key="$1/server.key")
    [ "$(id -u)" -eq 0 ] && user=(--user=root)
    mariadb-install-db --no-defaults "${user[@]}" --datadir="$dir/data" --skip-test-db \
        --auth-root-authentication-method=socket >"$dir/install.log" 2>&1 ||
        { cat "$dir/install.log" >&2; return 1; }
    # a temporary folder of its own: a starting server deletes every #sql* file in its
    # tmpdir, and in a shared /tmp those are the internal temporary tables of the other
    # tests' servers, whose queries then fail ("Error on delete of '/tmp/#sql-temptable-…'")
    mariadbd --no-defaults "${user[@]}" --datadir="$dir/data" --port="$port" \
        --tmpdir="$dir/tmp" \
        --bind-address=127.0.0.1 --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
        --skip-log-bin --innodb-flush-log-at-trx-commit=2 --log-error="$dir/server.log" \
        --max-connections=200 "${tls[@]}" 2>>"$dir/server.err" &
    my_pid=$!
    for _ in $(seq 1 120); do
        mariadb-admin --no-defaults -S "$dir/mysqld.sock" -u root ping >/dev/null 2>&1 && break
        kill -0 "$my_pid" 2>/dev/null || break # it stopped: the log says why
        sleep 0.5
    done
    mariadb --no-defaults -S "$dir/mysqld.sock" -u root -e "
        CREATE USER 'strata'@'127.0.0.1' IDENTIFIED BY '$password';
        GRANT ALL PRIVILEGES ON *.* TO 'strata'@'127.0.0.1' WITH GRANT OPTION;
        CREATE DATABASE strata_test;" || { cat "$dir/server.log" >&2; return 1; }
    export STRATA_TEST_MYSQL_URL="mysql://strata:$password@127.0.0.1:$port/strata_test"
    STRATA_TEST_MYSQL_VERSION=$(mariadb --no-defaults -h 127.0.0.1 -P "$port" -u strata -p"$password" -N -B -e 'SELECT VERSION()')
    export STRATA_TEST_MYSQL_VERSION
    echo "MariaDB on 127.0.0.1:$port: $STRATA_TEST_MYSQL_VERSION"
}

servers_start() {
    servers_dir=$(mktemp -d "${TMPDIR:-/tmp}/strata-servers-XXXXXX")
    chmod 755 "$servers_dir"
    postgres_start && mariadb_start
}

servers_stop() {
    if [ -n "$pg_pid_dir" ]; then
        as_pg_user "$pg_bin/pg_ctl" -D "$pg_pid_dir" -m immediate -w stop >/dev/null 2>&1 || true
        pg_pid_dir=""
    fi
    if [ -n "$my_pid" ]; then
        kill "$my_pid" 2>/dev/null || true
        wait "$my_pid" 2>/dev/null || true
        my_pid=""
    fi
    [ -n "$servers_dir" ] && rm -rf "$servers_dir"
    servers_dir=""
}
