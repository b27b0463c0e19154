# Sourced by the scripts: finds a Python >= 3.13 without relying on the pyenv shim.
find_python313() {
  local candidates=()
  command -v python3.13 >/dev/null 2>&1 && candidates+=("$(command -v python3.13)")
  if command -v pyenv >/dev/null 2>&1; then
    for p in "$(pyenv root)"/versions/3.13*/bin/python3.13; do candidates+=("$p"); done
  fi
  for p in "$HOME"/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
    candidates+=("$p")
  done
  local p
  for p in "${candidates[@]}"; do
    if [ -x "$p" ] && "$p" -c 'import sys; assert sys.version_info >= (3, 13)' >/dev/null 2>&1; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
