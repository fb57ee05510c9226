#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 needs 3.8–3.10): PATH first, then pyenv.
# A pyenv shim on PATH may exist but fail when 3.10 is not selected, so each candidate is run.
set -u
works() { "$1" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; }
for c in python3.10 python3 python; do
  p=$(command -v "$c" 2>/dev/null) || continue
  if works "$p"; then echo "$p"; exit 0; fi
done
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for p in "$root"/versions/3.10.*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -x "$p" ] && works "$p" && { echo "$p"; exit 0; }
done
cat >&2 <<'MSG'
No working Python 3.10 found (Rasa 3.6 runs on Python 3.8–3.10 only).
Install one, for example:
  pyenv install 3.10.13          # with pyenv
  apt-get install python3.10 python3.10-venv   # on a distribution that packages it
then run the command again.
MSG
exit 1
