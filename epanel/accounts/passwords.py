"""Password hashing with argon2id and the rules for new passwords: length, and not a common one."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128

_hasher = PasswordHasher()
# Checked against when no account matches, so a wrong e-mail costs the same time
# as a wrong password and timing does not reveal who has an account.
_DUMMY_HASH = _hasher.hash("not a real password, only here for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords from breaches, as shipped in the zxcvbn package.

    Only its list is used (nothing is fetched at run time); its strength scoring is not,
    because composition rules and scores push people to worse passwords than length does.
    """
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None. Length and the common list: no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if is_common_password(password):
        return ("This password is on a list of passwords that are often used and easy to guess. "
                "Choose a different one: a few random words make a good password")
    return None
