"""What counts as a strong enough password or PIN. Pure rules, no storage."""
from __future__ import annotations

COMMON_PASSWORDS = {"password", "password1", "password123", "1234567890", "qwertyuiop", "iloveyou12",
                    "letmein123", "welcome123", "abc1234567", "passw0rd12", "administrator"}


def password_problem(password: str, *, min_length: int, personal: list[str]) -> str | None:
    """Why this password is too weak, or None."""
    if len(password) < min_length:
        return f"use at least {min_length} characters"
    if len(password) > 128:
        return "use at most 128 characters"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 5:
        return "this password is too common or repetitive"
    classes = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if classes < 2:
        return "mix letters with digits or symbols"
    lowered = password.lower()
    if any(part and len(part) >= 4 and part.lower() in lowered for part in personal):
        return "do not use your name, phone number or e-mail address"
    return None


def pin_is_trivial(pin: str) -> bool:
    """Refuses repeated digits (000000), runs up or down (123456, 654321) and a few favourites."""
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:])}
    if len(steps) == 1 and steps.pop() in (-1, 0, 1):
        return True
    return pin in {"121212", "112233", "123123", "696969", "101010", "131313", "007007", "159753"}
