"""Run tiled's own `tiled login` on a pseudo-terminal and answer it as a person would, so the
tokens land in tiled's cache ($TILED_CACHE_DIR/tokens/<quote_plus(api uri)>/).

    TILED_CACHE_DIR=DIR HARNESS_PASSWORD=... python server/auth_harness/tiled_login.py URI --username U
    TILED_CACHE_DIR=DIR python server/auth_harness/tiled_login.py URI --device [--approve-user U]

Password servers (internal mode): answers "Username:" and "Password:" (the password comes from
$HARNESS_PASSWORD or --password-env VAR, never the command line); --attempts N types it N times
(the wrong ones first with --wrong-first) to see tiled's three-try loop.
Device-code servers (external mode: tiled's own OIDCAuthenticator, or proxied OIDC): reads the
link and code tiled prints and prints {"event": "device", "verification_uri", "user_code"} at once;
with --approve-user U it also approves with server/oidc/approve.mjs (the user's password from the
same variable), else the caller approves (or denies, or lets the code expire).

stdout ends with one JSON line: {"ok", "exit_status", "token_dir", "token_files": {name: mode},
"confirmation", "output_tail"} (tokens are never printed). Exit 0 when tiled exited 0.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

import pexpect

from common import PROFILE, ROOT, VENV_BIN, HarnessError, run, say, tiled_env, token_dir, token_files

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
URL_AND_CODE = re.compile(r"visit this URL\s+(\S+)\s+and enter the code:\s+(\S+)", re.S)


def create_profile(uri: str, env: dict) -> None:
    done = subprocess.run([str(VENV_BIN / "tiled"), "profile", "create", uri, "--name", PROFILE, "--overwrite"],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise HarnessError(f"`tiled profile create` failed: {done.stderr.strip()[-300:]}")


def approve(url: str, user_code: str, username: str, password_env: str) -> dict:
    env = dict(os.environ, APPROVE_PASSWORD=os.environ.get(password_env, ""))
    done = subprocess.run(["node", str(ROOT / "server" / "oidc" / "approve.mjs"), url, "--user-code", user_code,
                           "--user", username], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise HarnessError(f"approval failed: {done.stderr.strip()[-300:]}")
    return {"event": "approved"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("uri")
    p.add_argument("--username", help="password servers: the user to type")
    p.add_argument("--password-env", default="HARNESS_PASSWORD", help="variable holding the password")
    p.add_argument("--wrong-first", type=int, default=0, help="type this many wrong passwords first")
    p.add_argument("--device", action="store_true", help="expect a device-code login")
    p.add_argument("--approve-user", help="device: approve as this user (password from --password-env)")
    p.add_argument("--timeout", type=float, default=120, help="seconds for the whole login")
    args = p.parse_args()

    env = tiled_env()
    create_profile(args.uri, env)
    child = pexpect.spawn(str(VENV_BIN / "tiled"), ["login", "--profile", PROFILE], env=env,
                          encoding="utf-8", timeout=args.timeout, dimensions=(40, 200))
    transcript = []
    deadline = time.monotonic() + args.timeout
    password = os.environ.get(args.password_env, "")
    try:
        if args.device:
            child.expect("and enter the code:\\s+(\\S+)")
            text = child.before + child.after
            transcript.append("(device link and code)")
            match = URL_AND_CODE.search(text)
            if not match:
                raise HarnessError(f"tiled printed no link and code: {text[-300:]!r}")
            url, code = match.group(1), match.group(2)
            say({"event": "device", "verification_uri": url, "user_code": code})
            if args.approve_user:
                say(approve(url, code, args.approve_user, args.password_env))
        else:
            if not args.username:
                raise HarnessError("give --username for a password login (or --device)")
            if not password:
                raise HarnessError(f"${args.password_env} is empty: put the password there")
            child.expect("Username: ")
            child.sendline(args.username)
            for attempt in range(args.wrong_first + 1):
                child.expect("Password: ")
                child.sendline("wrong-" + password if attempt < args.wrong_first else password)
                transcript.append(f"password typed ({'wrong' if attempt < args.wrong_first else 'right'})")
                if attempt < args.wrong_first:
                    index = child.expect(["not recognized", pexpect.EOF])
                    if index == 1:
                        break
        child.expect(pexpect.EOF, timeout=max(1, deadline - time.monotonic()))
    except pexpect.TIMEOUT:
        child.terminate(force=True)
        raise HarnessError(f"tiled login did not finish in {args.timeout:.0f} s; last output: {child.before[-300:]!r}")
    except pexpect.EOF:
        pass
    child.close()
    tail = ANSI.sub("", child.before or "").strip().splitlines()
    # Never echo anything that could be a secret: tiled prints only prompts and messages here,
    # but drop any line that holds the password anyway.
    tail = [line for line in tail if password not in line][-5:] if password else tail[-5:]
    confirmation = next((line for line in tail if "logged in" in line.lower()), None)
    say({
        "ok": child.exitstatus == 0,
        "exit_status": child.exitstatus,
        "token_dir": str(token_dir(args.uri)),
        "token_files": token_files(args.uri),
        "confirmation": confirmation,
        "output_tail": tail,
    })
    return 0 if child.exitstatus == 0 else 1


if __name__ == "__main__":
    run(main)
