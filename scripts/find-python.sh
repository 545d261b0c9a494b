#!/usr/bin/env bash
# Print the path of a Python 3.10 (or 3.9/3.8) interpreter that Rasa 3.6 supports.
# Order: $PYTHON, python3.10 on PATH, pyenv's 3.10.x, the system's, then 3.9 and 3.8.
set -u
ok() { "$1" -c 'import sys; v=sys.version_info; sys.exit(0 if (3,8)<=v[:2]<=(3,10) else 1)' >/dev/null 2>&1; }
try() { if [ -n "$1" ] && ok "$1"; then command -v "$1" 2>/dev/null || echo "$1"; exit 0; fi; }

[ -n "${PYTHON:-}" ] && try "$PYTHON"
for minor in 10 9 8; do
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E "^3\.${minor}\.[0-9]+$" | sort -t. -k3 -n -r); do
      try "$(pyenv prefix "$v" 2>/dev/null)/bin/python3.${minor}"
    done
  fi
  try "python3.${minor}"
  for d in /usr/bin /usr/local/bin /opt/homebrew/bin; do try "$d/python3.${minor}"; done
done
try python3
cat >&2 <<MSG
No Python 3.8-3.10 found. Rasa 3.6 runs only on Python 3.8, 3.9 or 3.10.
Install one, for example:
  pyenv install 3.10.13            (then run make again)
  apt-get install python3.10-venv  (Debian/Ubuntu with 3.10 packages)
or point to one with: make run PYTHON=/path/to/python3.10
MSG
exit 1
