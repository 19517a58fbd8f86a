"""Run one of tiled's own CLI commands against a server with the harness's token cache:

    TILED_CACHE_DIR=DIR python server/auth_harness/tiled_cmd.py URI whoami
    TILED_CACHE_DIR=DIR python server/auth_harness/tiled_cmd.py URI logout
    TILED_CACHE_DIR=DIR python server/auth_harness/tiled_cmd.py URI api_key list
    TILED_CACHE_DIR=DIR python server/auth_harness/tiled_cmd.py URI api_key revoke FIRST_EIGHT

Only commands that print no secret are allowed (`api_key create` prints the new key: use the
HTTP API or tiled's client for that). stdout: one JSON line {"exit_status", "stdout", "stderr",
"token_files"}; exit status is tiled's.
"""

from __future__ import annotations

import subprocess
import sys

from common import PROFILE, VENV_BIN, HarnessError, run, say, tiled_env, token_files

ALLOWED = {("whoami",), ("logout",), ("api_key", "list"), ("api_key", "revoke")}


def main() -> int:
    if len(sys.argv) < 3:
        raise HarnessError("usage: tiled_cmd.py URI COMMAND [ARGS]")
    uri, command = sys.argv[1], sys.argv[2:]
    if tuple(command[:2]) not in ALLOWED and tuple(command[:1]) not in ALLOWED:
        raise HarnessError(f"not allowed here: tiled {' '.join(command)} (allowed: whoami, logout, api_key list|revoke)")
    env = tiled_env()
    made = subprocess.run([str(VENV_BIN / "tiled"), "profile", "create", uri, "--name", PROFILE, "--overwrite"],
                          env=env, capture_output=True, text=True)
    if made.returncode != 0:
        raise HarnessError(f"`tiled profile create` failed: {made.stderr.strip()[-300:]}")
    # `--profile` goes after the (sub)command: tiled's CLI takes it per command.
    split = 2 if command[0] == "api_key" else 1
    argv = [str(VENV_BIN / "tiled"), *command[:split], "--profile", PROFILE, *command[split:]]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    say({"exit_status": done.returncode, "stdout": done.stdout.strip(), "stderr": done.stderr.strip()[-2000:],
         "token_files": token_files(uri)})
    return done.returncode


if __name__ == "__main__":
    run(main)
