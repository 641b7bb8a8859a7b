#!/usr/bin/env bash
# Fuzzes the .nuspec parser (gantry_formats::nuget::parse_nuspec) with
# cargo-fuzz and libFuzzer, seeded from fuzz/seeds/nuspec.
#
#   FUZZ_SECONDS=300 bench/fuzz-nuspec.sh
#
# Only a stable toolchain is needed: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass
# its nightly-only flags (the sanitizer). A crash leaves its input under
# fuzz/artifacts/nuspec/ and makes the script fail.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$root/fuzz"
seconds="${FUZZ_SECONDS:-60}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed; installing it" >&2
  cargo install --locked cargo-fuzz
fi

corpus="$fuzz_dir/corpus/nuspec"
mkdir -p "$corpus"
cp "$fuzz_dir"/seeds/nuspec/*.nuspec "$corpus"/

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

cd "$fuzz_dir"
set +e
RUSTC_BOOTSTRAP=1 cargo fuzz run nuspec -- -max_total_time="$seconds" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo
runs="$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)"
if [[ -n "$runs" ]]; then
  echo "nuspec fuzzing: ${runs#Done }s, corpus now $(find "$corpus" -type f | wc -l) inputs"
else
  echo "nuspec fuzzing: no run count reported (exit status $status)"
fi
if [[ $status -ne 0 ]]; then
  echo "nuspec fuzzing FAILED; crashing inputs are in $fuzz_dir/artifacts/nuspec/" >&2
fi
exit "$status"
