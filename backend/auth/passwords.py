"""How strong a new password must be: the one rule wherever a password is set (a user created or changed
by someone who manages them, a user changing their own). The only module that imports zxcvbn.

A password is refused, `weak_password`, when it is shorter than MIN_PASSWORD_CHARS or when zxcvbn (Dropbox's
estimator of how many guesses an attacker needs: dictionaries of common passwords, words and names,
keyboard runs, repeats, sequences, dates, l33t) scores it below MIN_SCORE. Eight spaces and `12345678`
fail both; the demo's `fieldgoal-demo` and a passphrase such as `correct-horse-9` pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from backend.errors import InvalidInput

MIN_PASSWORD_CHARS = 10
# zxcvbn's 3: "safely unguessable", about 10^8 guesses or more; 0-2 are guessable online or soon offline.
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching grows quadratically); the first 72 characters are what it scores.
_SCORED_CHARS = 72
# zxcvbn's dictionaries are English: the commonest Chinese passwords are added as words it knows.
_COMMON_IN_CHINA = ("woaini", "woaini1314", "5201314", "1314520", "aini1314", "qq123456", "a123456", "123456a")


def check_password_strength(password: str, user_inputs: Iterable[str] = (), field: str = "password") -> None:
    """Raise InvalidInput naming `field` when `password` is too short or guessable.

    `user_inputs` are what an attacker knows of the user (their email address, their name): a password
    built from them counts as guessable. The address is also split into its words (`rep1`, `example`).
    """
    # The user's own words first: zxcvbn ranks a word by its place in the list, and these are guessed first.
    words = []
    for text in user_inputs:
        if text:
            words.append(text)
            words.extend(part for part in re.split(r"[@.\s_+-]+", text) if len(part) > 2)
    words.extend(_COMMON_IN_CHINA)
    if (
        len(password) < MIN_PASSWORD_CHARS
        or not password.strip()
        or zxcvbn(password[:_SCORED_CHARS], user_inputs=words)["score"] < MIN_SCORE
    ):
        raise InvalidInput.one(field, "weak_password", min=MIN_PASSWORD_CHARS)
