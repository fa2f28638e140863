# Sourced by the scripts that find a test server binary (consul-agent.sh, nats-server.sh).
# Every log goes to stderr; stdout carries only the binary's path.

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# find_or_build_go_tool ENV_VAR COMMAND TOOL_DIR MODULE VERSION_ARG [TARGET]
# Prints the path of a usable binary: $ENV_VAR, COMMAND on PATH, the cached build, else
# a build of MODULE at the version pinned in tools/TOOL_DIR/go.mod (cached under the hash
# of its go.mod and go.sum). VERSION_ARG is what the built binary is run with to check it.
# TARGET is the package to build when it is not MODULE itself (`.`: a main in TOOL_DIR).
find_or_build_go_tool() {
  local env_var=$1 command=$2 tool_dir=$3 module=$4 version_arg=$5 target=${6:-$4}
  local from_env="${!env_var:-}"
  if [[ -n "$from_env" ]]; then
    if [[ -x "$from_env" ]]; then
      printf '%s\n' "$from_env"
      return 0
    fi
    log "$env_var=$from_env is not an executable file; looking elsewhere"
  fi

  local on_path
  if on_path="$(command -v "$command" 2>/dev/null)"; then
    printf '%s\n' "$on_path"
    return 0
  fi

  local root mod_dir version hash cache_dir bin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  mod_dir="$root/tools/$tool_dir"
  version="$(sed -nE "s#^(require)?[[:space:]]*${module//./\\.}[[:space:]]+(v[^[:space:]]+).*#\\2#p" "$mod_dir/go.mod" | head -n1)"
  if [[ -z "$version" ]]; then
    log "cannot read the $module version from $mod_dir/go.mod"
    return 1
  fi
  # go.mod is hashed with go.sum: a replace directive changes the build without touching go.sum;
  # a main of our own (TARGET given) with its sources.
  local hashed=("$mod_dir/go.sum" "$mod_dir/go.mod")
  [[ "$target" == "$module" ]] || hashed+=("$mod_dir"/*.go)
  hash="$(cat "${hashed[@]}" | sha256sum | cut -c1-12)"
  cache_dir="${NESTJS_GRACEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-graceful}"
  bin="$cache_dir/$command-$version-$hash"

  if [[ -x "$bin" ]]; then
    printf '%s\n' "$bin"
    return 0
  fi

  if ! command -v go >/dev/null 2>&1; then
    log "no $command binary found and no Go toolchain to build one: set $env_var, put $command on PATH, or install Go"
    return 1
  fi

  mkdir -p "$cache_dir"
  # Test files running in parallel must not start two builds of the same cache entry.
  exec 9>"$bin.lock"
  if command -v flock >/dev/null 2>&1; then
    flock 9
  fi
  if [[ -x "$bin" ]]; then
    printf '%s\n' "$bin"
    return 0
  fi

  local tmp start
  tmp="$(mktemp "$bin.tmp.XXXXXX")"
  # shellcheck disable=SC2064 # the path is fixed now, on purpose
  trap "rm -f '$tmp'" EXIT
  # A caller's time limit ends the build with SIGTERM: still remove the partial binary.
  trap 'exit 143' TERM INT HUP
  log "building $module $version into $bin (minutes on 2 cores with a cold Go build cache; go build -v lists each package it compiles)"
  start=$SECONDS
  (
    cd "$mod_dir"
    GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
      go build -v -trimpath -ldflags='-s -w' -o "$tmp" "$target"
  ) >&2
  log "built in $((SECONDS - start))s ($(du -h "$tmp" | cut -f1))"

  if ! "$tmp" "$version_arg" >&2; then
    log "the built binary does not run \`$command $version_arg\`"
    return 1
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$bin"
  trap - EXIT
  printf '%s\n' "$bin"
}
