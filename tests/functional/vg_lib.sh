# vg_lib.sh — a functional test's host under valgrind (sourced after lib.sh): the one set of
# valgrind options the suite holds every process to (any invalid access, and any definite,
# indirect or possible leak at exit, fails the run: exit 9), the skip under ASan (the two do not
# mix), and the check of valgrind's log.
#   vg_require                 skip the test under an ASan build; fail when valgrind is missing
#   "${VG[@]}" --log-file=LOG CMD...   run CMD under valgrind
#   vg_clean LOG RC WHAT       fail unless the run exited 0 and LOG says 0 errors (LOG printed;
#                              VG_FAIL=sfail reports through the live tests' sfail)
#   vg_summary LOG             valgrind's "ERROR SUMMARY: N errors", for the pass line
VG=(valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible)
vg_require() {
  case "$TH_BIN" in *asan*) echo "ok - skipped under ASan (valgrind and ASan do not mix)"; exit 0 ;; esac
  command -v valgrind >/dev/null || fail "valgrind is not installed (tools/install-deps.sh installs it)"
}
vg_clean() {
  local f=${VG_FAIL:-fail}
  [ "$2" = 0 ] || { cat "$1"; "$f" "$3: the valgrind run exited $2"; }
  grep -q "ERROR SUMMARY: 0 errors" "$1" || { cat "$1"; "$f" "$3: valgrind reported errors"; }
}
vg_summary() { grep -o 'ERROR SUMMARY: [0-9]* errors' "$1"; }
