# shellcheck shell=bash
# The run nonce that makes the benchmark's new and absent e-mails unique: shared by bench/run
# and bench/log-pages (sourced, not run).

# run_nonce: the clock in nanoseconds, in base 36 (12 characters). Unique per call, and across
# runs against a store that keeps its rows. Short on purpose: it goes into every new e-mail
# (p<i>-n-<nonce>-w<thread>-<counter>@bench.example.com from wrk, -<connection>- instead of
# -w<thread>- from the load generator; about 50 characters). A longer one made them three
# times as long as the preloaded ones, the index's entries as long with them, and each insert
# rebalance more of its leaves than real e-mails would (docs/performance.md). Fails, printing
# nothing, if the clock does not give nanoseconds (a `date` without %N).
run_nonce() {
  local n digits=0123456789abcdefghijklmnopqrstuvwxyz nonce=""
  n=$(date +%s%N)
  if [[ ! $n =~ ^[1-9][0-9]{18}$ ]]; then
    echo "run_nonce: the clock gave '$n', not nanoseconds" >&2
    return 1
  fi
  while ((n > 0)); do
    nonce=${digits:n%36:1}$nonce
    n=$((n / 36))
  done
  echo "$nonce"
}
