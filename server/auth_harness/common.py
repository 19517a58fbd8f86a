"""What the harness scripts share: the environment tiled's CLI and client run in, and the token
cache directory they use.

Every script needs TILED_CACHE_DIR (a directory the test owns): tokens land in
$TILED_CACHE_DIR/tokens/<quote_plus(api uri)>/, profiles in $TILED_CACHE_DIR/profiles (unless
TILED_PROFILES is set), so nothing touches the user's ~/.cache/tiled or ~/.config/tiled.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PROFILE = "harness"
TOKEN_FILES = ("access_token", "refresh_token", "id_token")


class HarnessError(Exception):
    """One line for stderr; the script exits 1."""


def cache_dir() -> Path:
    raw = os.environ.get("TILED_CACHE_DIR", "").strip()
    if not raw:
        raise HarnessError("set TILED_CACHE_DIR to a directory the test owns (tokens are written there)")
    return Path(raw).resolve()


def tiled_env() -> dict:
    """The environment for tiled's CLI: its own cache and profiles, no API key (tiled's client
    prefers $TILED_API_KEY over any cached token), no browser (tiled's device flow calls
    webbrowser.open; `true` swallows the URL)."""
    env = dict(os.environ)
    env["TILED_CACHE_DIR"] = str(cache_dir())
    env.setdefault("TILED_PROFILES", str(cache_dir() / "profiles"))
    env.pop("TILED_API_KEY", None)
    env["BROWSER"] = "true"
    env["TILED_SHOW_PROGRESS"] = "0"
    env["NO_COLOR"] = "1"  # plain text from typer/rich, for the caller to read
    env["TERM"] = "dumb"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def api_uri(uri: str) -> str:
    """The API URI tiled's Context derives from a server URI (what the token directory is named after)."""
    parts = urllib.parse.urlsplit(uri)
    path = parts.path.rstrip("/")
    if "/api" not in path:
        path = f"{path}/api/v1"
    elif "/v1" not in path:
        path = f"{path}/v1"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))


def token_dir(uri: str) -> Path:
    return cache_dir() / "tokens" / urllib.parse.quote_plus(api_uri(uri))


def token_files(uri: str) -> dict:
    """Which token files exist and their modes ("600"): never their contents."""
    directory = token_dir(uri)
    out = {}
    for name in TOKEN_FILES:
        path = directory / name
        if path.exists():
            out[name] = format(path.stat().st_mode & 0o777, "o")
    return out


def say(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def run(main) -> None:
    try:
        sys.exit(main())
    except HarnessError as err:
        print(f"harness: {err}", file=sys.stderr)
        sys.exit(1)
