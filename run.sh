#!/usr/bin/env bash
# One entry point for a fresh Debian machine with the Swift toolchain:
#   ./run.sh demo   - install missing system packages, build (release) and run `theano demo`
#   ./run.sh test   - install missing system packages, build and run the whole test suite
#   ./run.sh bench  - build (release) and run `theano bench`
set -euo pipefail
cd "$(dirname "$0")"

packages=(libopenblas-dev liblapacke-dev zlib1g-dev gcc libc6-dev)

install_system_packages() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" \
        || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
}

case "${1:-}" in
demo)
    install_system_packages
    shift
    swift build -c release --product theano
    exec .build/release/theano demo "$@"
    ;;
test)
    install_system_packages
    # The type-checker test file must compile quickly: a slow operator overload shows as a
    # warning, which fails the run.
    log=$(mktemp)
    swift build --build-tests -Xswiftc -Xfrontend -Xswiftc -warn-long-expression-type-checking=300 2>&1 | tee "$log"
    if grep -q "TypeCheckerTests.swift.*took" "$log"; then
        echo "error: an expression in TypeCheckerTests.swift took too long to type-check (see above)" >&2
        exit 1
    fi
    # Op tests check the reference implementations; the C backend's own tests pass their
    # options explicitly and compare every kernel with the reference.
    THEANO_LINKER=interpreter exec swift test --skip-build --parallel
    ;;
bench)
    install_system_packages
    shift
    swift build -c release --product theano
    exec .build/release/theano bench "$@"
    ;;
*)
    echo "usage: ./run.sh demo|test|bench [options]" >&2
    exit 2
    ;;
esac
