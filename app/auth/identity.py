"""Looking people up by what they type: an E.164 phone number or an e-mail address."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db

PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalize(identifier: str) -> str:
    identifier = identifier.strip()
    return identifier if identifier.startswith("+") else identifier.lower()


def find_user(identifier: str) -> User | None:
    identifier = normalize(identifier)
    column = User.phone if PHONE.match(identifier) else User.email
    return db.session.execute(select(User).where(column == identifier)).scalar_one_or_none()


def channel_for(user: User) -> tuple[str, str]:
    """(channel, destination): SMS when we have a phone, else e-mail."""
    return ("sms", user.phone) if user.phone else ("email", user.email)
