# shellcheck shell=bash
# Building and starting subscriberd: shell helpers shared by bench/run, bench/profile and
# bench/log-pages (sourced, not run, from the repository's root).

# build_release BUILD_DIR LOG TARGET... : configures BUILD_DIR as a Release build with the
# benchmark's programs and builds TARGETs; LOG is overwritten with what the configure step and
# the build print. On failure prints the end of LOG and returns 1.
build_release() {
  local build_dir=$1 build_log=$2
  shift 2
  if ! cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSUBSCRIBERD_TESTS=OFF \
         -DSUBSCRIBERD_BENCH=ON >"$build_log" 2>&1 ||
     ! cmake --build "$build_dir" --target "$@" -j2 >>"$build_log" 2>&1; then
    tail -40 "$build_log" >&2
    return 1
  fi
}

# server_url_from_log LOG PID [TENTHS] : prints the URL a subscriberd started with
# `--listen 127.0.0.1:0` logged that it listens on, once it has. Returns 1, printing nothing,
# if process PID ended first or TENTHS tenths of a second (default 600) went by.
server_url_from_log() {
  local server_log=$1 pid=$2 tenths=${3:-600} url i
  for ((i = 0; i < tenths; i++)); do
    url=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$server_log" 2>/dev/null |
          head -1 | sed 's/listening on //') || true
    if [[ -n $url ]]; then
      echo "$url"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
