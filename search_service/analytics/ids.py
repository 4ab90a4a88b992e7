"""Search ids: random, drawn by the service, signed so that no client can choose one.

An id joins the results a visitor opened to the search they came from, and
nothing else: it is drawn at random for each search (no order, no time, no
visitor in it), so two searches of one visitor share nothing. It is signed with
the store's key (a keyed BLAKE2b tag), so a client cannot bring an id of its own making
(a user id, say) into the store: an id the service did not draw is refused.
Every worker process reads the same key from the store, so an id drawn by one
is accepted by the others.

The tag also signs the day the id was drawn for (UTC), which the id does not
show: it is good for that day only. A search sent again on a later day with its
old id is counted that day under a new one, so no id joins two days of a
visitor, and the store, keyed by day and id, holds each id once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from typing import Final

_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 8
#: The characters of an id: 20 bytes in URL-safe base64, without padding.
ID_LENGTH: Final = 27
ID_PATTERN: Final = rf"^[A-Za-z0-9_-]{{{ID_LENGTH}}}$"
_ID_RE: Final = re.compile(ID_PATTERN)


def new_key() -> bytes:
    """A store's signing key (kept in the store, never sent)."""
    return secrets.token_bytes(32)


class SearchIds:
    """Draws and checks the ids of one store's key."""

    def __init__(self, key: bytes) -> None:
        #: Keyed once: a copy of it tags a nonce without compressing the key's block again.
        self._keyed = hashlib.blake2b(key=key, digest_size=_TAG_BYTES)

    def draw(self, day: dt.date) -> str:
        """A new id, good on `day`."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        tag = self._tag(nonce, day)
        return base64.urlsafe_b64encode(nonce + tag).decode("ascii")[:ID_LENGTH]

    def is_valid(self, text: str, day: dt.date) -> bool:
        """Whether `text` is an id this key drew for `day` (compared in constant time)."""
        if not _ID_RE.match(text):
            return False
        try:
            raw = base64.urlsafe_b64decode(text + "=")
        except (binascii.Error, ValueError):
            return False
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != text:
            return False  # the last character's unused bits changed: not the id drawn
        nonce, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        return len(tag) == _TAG_BYTES and hmac.compare_digest(tag, self._tag(nonce, day))

    def _tag(self, nonce: bytes, day: dt.date) -> bytes:
        keyed = self._keyed.copy()
        keyed.update(nonce + _day_bytes(day))
        return keyed.digest()


@functools.lru_cache(maxsize=4)
def _day_bytes(day: dt.date) -> bytes:
    """What a tag signs of the day (asked for each id drawn or checked: today, yesterday)."""
    return day.isoformat().encode("ascii")
