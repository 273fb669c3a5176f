#!/usr/bin/env bash
# Runs the cargo-fuzz targets in tools/fuzz/ for N seconds each and prints runs, coverage and
# how each ended. Exits non-zero if any target crashed, hung or failed to build.
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]   (default: 60 s, every target)
#
# - The committed corpus (tools/fuzz/corpus/<target>) is copied to a scratch dir under the fuzz
#   target dir and fuzzed there, so a run never dirties the repo; the committed corpus and
#   tools/fuzz/regressions/<target> are passed as read-only corpus dirs, so every run replays them.
# - Crash and hang inputs go to tools/fuzz/artifacts/<target>/ (git-ignored): minimise one with
#   `cargo fuzz tmin --fuzz-dir tools/fuzz <target> <file>` and copy it to tools/fuzz/regressions/<target>/.
# - Env: CARGO_FUZZ_TARGET_DIR (default /var/cache/protocols/fuzz-target),
#   FUZZ_TOOLS (where cargo-fuzz is installed, default /var/cache/protocols/tools),
#   CARGO_FUZZ_ARGS (extra build/run flags, e.g. "--sanitizer none").
set -euo pipefail

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2
    exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$repo/tools/fuzz"
tools="${FUZZ_TOOLS:-/var/cache/protocols/tools}"
export CARGO_TARGET_DIR="${CARGO_FUZZ_TARGET_DIR:-/var/cache/protocols/fuzz-target}"
# cargo-fuzz passes nightly-only flags (-Zsanitizer, sancov); the stable toolchain accepts
# them with this set.
export RUSTC_BOOTSTRAP=1
export PATH="$tools/bin:$PATH"
read -r -a extra <<< "${CARGO_FUZZ_ARGS:-}"

if ! command -v cargo-fuzz > /dev/null; then
    echo "== installing cargo-fuzz into $tools"
    cargo install cargo-fuzz --locked --root "$tools"
fi

cd "$fuzz_dir"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir "$fuzz_dir")
    # A failure inside <( ) does not stop the script: an empty list is that failure.
    if [ "${#targets[@]}" -eq 0 ]; then
        echo "no fuzz targets found in $fuzz_dir" >&2
        exit 1
    fi
fi

echo "== building ${#targets[@]} target(s) (target dir $CARGO_TARGET_DIR)"
build_start=$SECONDS
if [ "$#" -gt 0 ]; then
    for target in "${targets[@]}"; do
        cargo fuzz build --fuzz-dir "$fuzz_dir" "${extra[@]}" "$target"
    done
else
    cargo fuzz build --fuzz-dir "$fuzz_dir" "${extra[@]}"
fi
echo "== built in $((SECONDS - build_start)) s"

scratch="$CARGO_TARGET_DIR/fuzz-scratch"
failed=0
summary=()
for target in "${targets[@]}"; do
    work="$scratch/$target"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/tmp" "$fuzz_dir/artifacts/$target"
    if [ -d "corpus/$target" ]; then
        cp -R "corpus/$target/." "$work/corpus/"
    fi
    seeds=("corpus/$target")
    if [ -d "regressions/$target" ]; then
        seeds+=("regressions/$target")
    fi
    log="$work/fuzz.log"
    echo "== $target: ${seconds} s (log: $log)"
    status=0
    # TMPDIR: each target's SQLite database goes in its own scratch dir, removed below.
    TMPDIR="$work/tmp" cargo fuzz run --fuzz-dir "$fuzz_dir" "${extra[@]}" "$target" "$work/corpus" "${seeds[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        > "$log" 2>&1 || status=$?

    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
    cov="$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<< "$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<< "$last")"
    corp="$(sed -n 's/.* corp: \([0-9/a-zA-Z]*\) .*/\1/p' <<< "$last")"
    if [ "$status" -eq 0 ]; then
        outcome="clean"
    else
        failed=1
        artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
        reason="$(grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+|ERROR: AddressSanitizer: [a-z-]+' "$log" || true)"
        reason="${reason%:}"
        outcome="FAILED (exit $status${reason:+; $reason}${artifact:+; input $artifact})"
        echo "---- last lines of $log"
        tail -n 40 "$log"
    fi
    line="$(printf '%-16s runs %-10s exec/s %-7s cov %-6s ft %-7s corpus %-10s %s' \
        "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$outcome")"
    echo "$line"
    summary+=("$line")
    rm -rf "$work/tmp"
done

echo "== summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
