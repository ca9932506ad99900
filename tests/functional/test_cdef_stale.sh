#!/usr/bin/env bash
# Changing a struct in the public header without regenerating scripts/th/cdef.lua fails the build;
# regenerating makes it pass again. Runs on a copy of the tracked tree so the checkout is untouched
# (every bench/*.c: CMakeLists.txt names them, so configuring the copy needs them all).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/src"
( cd "$TH_HOME" && tar cf - CMakeLists.txt host scripts tools bench/*.c tests/unit tests/lua tests/functional tests/fuzz ) | tar xf - -C "$T/src"
sed -i 's/    int32_t reserved;/    int32_t reserved;\n    int32_t added_field;/' "$T/src/host/include/tradehost.h"
grep -q added_field "$T/src/host/include/tradehost.h" || fail "could not edit the header copy"
cmake -S "$T/src" -B "$T/b" >/dev/null || fail "configure failed"
set +e
cmake --build "$T/b" --target cdef_check >"$T/build.out" 2>&1; rc=$?
set -e
[ $rc -ne 0 ] || fail "build passed with a stale cdef"
grep -q "cdef.lua is stale" "$T/build.out" || { cat "$T/build.out"; fail "no stale-cdef message"; }
pass "stale cdef fails the build: $(grep -o 'scripts/th/cdef.lua is stale.*' "$T/build.out" | head -1)"
cmake --build "$T/b" --target cdef >/dev/null || fail "regenerating failed"
grep -q added_field "$T/src/scripts/th/cdef.lua" || fail "regenerated cdef lacks the new field"
cmake --build "$T/b" --target cdef_check >/dev/null 2>&1 || fail "build still fails after regenerating"
pass "regenerated cdef builds again"
