"""A logging filter for the replica's servers: credentials in a request's query string never reach
the log.

tiled's access log (and uvicorn's websocket lines) record the whole request line, query included,
so `?api_key=...` (which tiled accepts on every route), a websocket's `?access_token=...` and the
authorization `?code=...` an OpenID provider sends back to tiled would be written to server.log.
The filter replaces such values by `***` in every record the server's handlers write.
"""

from __future__ import annotations

import logging
import re

SECRET_PARAMETERS = ("api_key", "access_token", "refresh_token", "id_token", "id_token_hint", "code",
                     "device_code", "user_code", "csrf", "client_secret", "password")
_PATTERN = re.compile(r"([?&](?:%s)=)[^&\s\"']*" % "|".join(SECRET_PARAMETERS), re.IGNORECASE)


def redact(text: str) -> str:
    return _PATTERN.sub(r"\1***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def add_to(log_config: dict) -> dict:
    """A copy of a logging dictConfig whose every handler runs RedactSecrets."""
    import copy

    cfg = copy.deepcopy(log_config)
    cfg.setdefault("filters", {})["redact_secrets"] = {"()": f"{__name__}.RedactSecrets"}
    for handler in cfg.get("handlers", {}).values():
        handler.setdefault("filters", []).insert(0, "redact_secrets")
    return cfg
