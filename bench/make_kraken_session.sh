#!/usr/bin/env bash
# bench/make_kraken_session.sh — a long Kraken v2 book recording for the whole-process benchmark,
# made from the bundled real one (tests/data/kraken/book-5pairs-2021-04-17.v2.txt, 29.3 s of
# traffic: 5 depth-1000 snapshots, then 2,595 updates with the exchange's own checksums).
#   bench/make_kraken_session.sh REPEATS OUT
# The bundled session is played REPEATS times back to back, each copy's receive times shifted by
# 30 s per copy so time only moves forward. Each copy starts with its 5 snapshots, which replace
# the books, so every checksum of every copy verifies: the result is a valid session with a fresh
# snapshot of each pair every 30 s (snapshots are 5 of every 2,600 frames and 22% of the bytes).
# 327 repeats give 850,200 frames (~224 MB), the size of the recording issue 12 measured.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 REPEATS OUT" >&2; exit 2; }
src="$(dirname "$0")/../tests/data/kraken/book-5pairs-2021-04-17.v2.txt"
perl -e '
  use strict; use warnings;
  my ($repeats, $src) = @ARGV;
  open(my $in, "<", $src) or die "$src: $!";
  my @lines = <$in>;
  my $step = 30_000_000_000; # 30 s in ns: longer than the bundled session
  for my $r (0 .. $repeats - 1) {
    my $shift = $r * $step;
    for (@lines) {
      /^(\d+) (.*\n)$/s or die "not a <ts> <frame> line";
      print $1 + $shift, " ", $2;
    }
  }' "$1" "$src" > "$2.tmp"
mv "$2.tmp" "$2"
