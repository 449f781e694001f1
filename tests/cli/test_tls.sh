#!/usr/bin/env bash
# TLS with certificate checks: PostgreSQL sslmode=verify-full and MariaDB
# ssl-mode=VERIFY_IDENTITY against a PostgreSQL and a MariaDB server started here with TLS
# on (tests/servers.sh), with a certificate authority and a server certificate for
# localhost (SAN DNS:localhost only) generated here with openssl. With the right CA strata
# connects and migrates, and the migration itself records that its session is encrypted
# (pg_stat_ssl, the Ssl_cipher status). A second, unrelated CA is refused (exit 1), naming
# the certificate problem and the URL parameter that names the CA; connecting by 127.0.0.1
# is a host name mismatch, refused the same way with the less strict mode as the way out;
# nothing is created in the database by a refused run, and no output shows a password.
# Needs STRATA_BIN (set by make check), openssl, the PostgreSQL and MariaDB servers and
# clients (./run-tests installs them); without them it fails.
set -u
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/../servers.sh" # postgres_start, mariadb_start, servers_stop

strata="${STRATA_BIN:?set by make check}"
unset DATABASE_URL STRATA_DIR STRATA_TABLE PGPASSWORD MYSQL_PWD PGSSLMODE PGSSLROOTCERT
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-tls-XXXXXX")
chmod 755 "$work"
servers_dir="$work/servers"
cleanup() {
    servers_stop
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

# ---------------------------------------------------------------- certificates
command -v openssl >/dev/null || { out="openssl not found"; not_ok "openssl is installed"; finish; exit; }
# new_ca DIR NAME: a certificate authority, DIR/ca.crt and DIR/ca.key
new_ca() {
    mkdir -p "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=$2" -keyout "$1/ca.key" -out "$1/ca.crt" >/dev/null 2>&1
}
new_ca tls "strata test CA" && new_ca other "another CA" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
        -keyout tls/server.key -out tls/server.csr >/dev/null 2>&1 &&
    printf '%s\n' "subjectAltName = DNS:localhost" "basicConstraints = CA:FALSE" \
        "keyUsage = digitalSignature" "extendedKeyUsage = serverAuth" >tls/server.ext &&
    openssl x509 -req -in tls/server.csr -CA tls/ca.crt -CAkey tls/ca.key -CAcreateserial \
        -days 2 -extfile tls/server.ext -out tls/server.crt >/dev/null 2>&1
run openssl verify -CAfile tls/ca.crt tls/server.crt
expect_code 0 "a CA and a server certificate for localhost, signed by it"
chmod 644 tls/*.crt tls/server.key other/ca.crt

mkdir m
echo "CREATE TABLE tls_seen AS SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid();" \
    >m/001_tls_seen.postgres.up.sql
echo "CREATE TABLE tls_seen AS SELECT VARIABLE_VALUE AS cipher FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER';" \
    >m/001_tls_seen.mysql.up.sql
echo "DROP TABLE tls_seen;" >m/001_tls_seen.down.sql
echo "CREATE TABLE t2 (id INT);" >m/002_t2.up.sql
echo "DROP TABLE t2;" >m/002_t2.down.sql

# password URL: the URL's password
password() { local rest=${1#*://}; rest=${rest#*:}; echo "${rest%%@*}"; }

# ---------------------------------------------------------------- PostgreSQL
mkdir -p "$servers_dir" && chmod 755 "$servers_dir"
if ! postgres_start "$work/tls" >pg.out 2>&1; then
    out=$(cat pg.out); not_ok "a PostgreSQL server with TLS starts"
else
    admin="$STRATA_TEST_POSTGRES_URL" # postgres://strata:PW@127.0.0.1:PORT/postgres
    pw=$(password "$admin")
    psql "$admin" -X -q -c "CREATE DATABASE tls" >/dev/null
    by_ip=$(db_url "$admin" tls)
    by_name=${by_ip/@127.0.0.1:/@localhost:}
    tables() { psql "$by_ip" -X -A -t -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'strata%' OR tablename = 'tls_seen'"; }

    rel_begin
    run "$strata" -d "$by_name?sslmode=verify-full&sslrootcert=$work/other/ca.crt" --dir m up
    expect_code 1 "postgres: verify-full with another CA is refused"
    expect_out "SSL error: certificate verify failed" "postgres: the message names the certificate problem"
    expect_out "hint: the server's certificate is not signed by the certificate authority strata was given: name the CA certificate that signed it with sslrootcert=" \
        "postgres: the hint names the parameter for the CA file"
    expect_no "$pw" "postgres: no output shows the password"
    expect_eq "$(tables)" "0" "postgres: nothing was created"
    rel_end transport postgres "TLS verify-full: a wrong CA is refused" "exit 1, hint names sslrootcert=, nothing created, no password shown"

    rel_begin
    run "$strata" -d "$by_ip?sslmode=verify-full&sslrootcert=$work/tls/ca.crt" --dir m up
    expect_code 1 "postgres: verify-full by 127.0.0.1, a certificate for localhost: refused"
    expect_out "server certificate for \"localhost\"" "postgres: the message names the certificate's name"
    expect_out "does not match host name \"127.0.0.1\"" "postgres: and the host"
    expect_out "or use sslmode=verify-ca to check the certificate authority only" "postgres: the hint gives the ways out"
    expect_no "$pw" "postgres: no output shows the password"
    expect_eq "$(tables)" "0" "postgres: nothing was created"
    run "$strata" -d "$by_ip?sslmode=verify-ca&sslrootcert=$work/tls/ca.crt" --dir m status
    expect_code 0 "postgres: verify-ca, which checks no name, connects by 127.0.0.1"
    rel_end transport postgres "TLS verify-full: a host name mismatch is refused" "exit 1, hint: a name the certificate has, or verify-ca"

    rel_begin
    url="$by_name?sslmode=verify-full&sslrootcert=$work/tls/ca.crt"
    run "$strata" -d "$url" --dir m up
    expect_code 0 "postgres: verify-full with the right CA migrates"
    expect_out "2 migration(s) applied" "postgres: both migrations"
    expect_eq "$(psql "$by_ip" -X -A -t -c "SELECT ssl, version LIKE 'TLSv1.%' FROM tls_seen")" "t|t" \
        "postgres: the migration's session was TLS (pg_stat_ssl)"
    run "$strata" -d "$url" --dir m down
    expect_code 0 "postgres: down over TLS"
    run "$strata" -d "$url" --dir m status
    expect_out "1 applied, 1 pending" "postgres: status over TLS"
    expect_no "$pw" "postgres: no output shows the password"
    rel_end transport postgres "TLS verify-full: the right CA connects and migrates" "the migration sees pg_stat_ssl on"
fi

# ---------------------------------------------------------------- MariaDB
if ! mariadb_start "$work/tls" >my.out 2>&1; then
    out=$(cat my.out); not_ok "a MariaDB server with TLS starts"
else
    admin="$STRATA_TEST_MYSQL_URL" # mysql://strata:PW@127.0.0.1:PORT/strata_test
    pw=$(password "$admin")
    my_client -e "CREATE DATABASE tls"
    by_ip=$(db_url "$admin" tls)
    by_name=${by_ip/@127.0.0.1:/@localhost:}
    tables() { my_client -N -B -e "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tls'"; }

    rel_begin
    run "$strata" -d "$by_name?ssl-mode=VERIFY_IDENTITY&ssl-ca=$work/other/ca.crt&protocol=tcp" --dir m up
    expect_code 1 "mysql: VERIFY_IDENTITY with another CA is refused"
    expect_out "TLS/SSL error: self-signed certificate in certificate chain" \
        "mysql: the message names the certificate problem"
    expect_out "hint: the server's certificate is not signed by a certificate authority strata trusts: name the CA certificate that signed it with ssl-ca=" \
        "mysql: the hint names the parameter for the CA file"
    expect_no "$pw" "mysql: no output shows the password"
    expect_eq "$(tables)" "0" "mysql: nothing was created"
    rel_end transport mysql "TLS VERIFY_IDENTITY: a wrong CA is refused" "exit 1, hint names ssl-ca=, nothing created, no password shown"

    rel_begin
    run "$strata" -d "$by_ip?ssl-mode=VERIFY_IDENTITY&ssl-ca=$work/tls/ca.crt" --dir m up
    expect_code 1 "mysql: VERIFY_IDENTITY by 127.0.0.1, a certificate for localhost: refused"
    expect_out "the server's certificate is not issued for the host name \"127.0.0.1\"" \
        "mysql: the message says the name does not match"
    expect_out "or use ssl-mode=VERIFY_CA to check the certificate authority only" "mysql: the hint gives the ways out"
    expect_no "$pw" "mysql: no output shows the password"
    expect_eq "$(tables)" "0" "mysql: nothing was created"
    run "$strata" -d "$by_ip?ssl-mode=VERIFY_CA&ssl-ca=$work/tls/ca.crt" --dir m status
    expect_code 0 "mysql: VERIFY_CA, which checks no name, connects by 127.0.0.1"
    run "$strata" -d "$by_name?ssl-mode=VERIFY_IDENTITY&ssl-ca=$work/tls/nowhere.crt&protocol=tcp" --dir m status
    expect_code 2 "mysql: an ssl-ca file that is not there is a usage error"
    expect_out "cannot read the ssl-ca file \"$work/tls/nowhere.crt\" of the URL: No such file or directory" \
        "mysql: naming the parameter and the file"
    rel_end transport mysql "TLS VERIFY_IDENTITY: a host name mismatch is refused" "exit 1, hint: a name the certificate has, or VERIFY_CA"

    rel_begin
    url="$by_name?ssl-mode=VERIFY_IDENTITY&ssl-ca=$work/tls/ca.crt&protocol=tcp"
    run "$strata" -d "$url" --dir m up
    expect_code 0 "mysql: VERIFY_IDENTITY with the right CA, by localhost over TCP, migrates"
    expect_out "2 migration(s) applied" "mysql: both migrations"
    cipher=$(my_client -N -B tls -e "SELECT cipher FROM tls_seen")
    [ -n "$cipher" ] && ok "mysql: the migration's session was TLS (Ssl_cipher $cipher)" ||
        { out="Ssl_cipher: '$cipher'"; not_ok "mysql: the migration's session was TLS (Ssl_cipher)"; }
    run "$strata" -d "$url" --dir m down
    expect_code 0 "mysql: down over TLS"
    run "$strata" -d "$url" --dir m status
    expect_out "1 applied, 1 pending" "mysql: status over TLS"
    expect_no "$pw" "mysql: no output shows the password"
    rel_end transport mysql "TLS VERIFY_IDENTITY: the right CA connects and migrates" "the migration sees Ssl_cipher set"
fi

finish
