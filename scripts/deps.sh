# Shared by ./quickstart and ./run-tests: installs Debian packages that are missing.
# Usage: . scripts/deps.sh; need_packages pkg1 pkg2 ...

need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing with apt: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        { echo "could not install: ${missing[*]}" >&2; return 1; }
}

BUILD_PACKAGES=(gcc make autoconf automake libtool pkg-config libsqlite3-dev nettle-dev libinih-dev)

# Configures (once) and builds in the source tree.
build_strata() {
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
        echo "==> autoreconf"
        autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; return 1; }
    fi
    if [ ! -f Makefile ] || [ configure -nt Makefile ] || [ -n "${CONFIGURE_FLAGS_CHANGED:-}" ]; then
        echo "==> ./configure $*"
        ./configure "$@" >config.out 2>&1 || { cat config.out; return 1; }
        sed -n '/strata .* configured/,/mysql:/p' config.out
    fi
    echo "==> make"
    make -j"$(nproc)" >make.out 2>&1 || { cat make.out; return 1; }
}
