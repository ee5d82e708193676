"""Access tokens for the web actions: created on the command line, stored hashed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

TOKEN_ROLES = ("admin", "instructor")


class AccessToken(Base):
    """An admin's token acts on every course; an instructor's on the courses where its
    username is enrolled as instructor or staff (checked at each use, so dis-enrolling
    the instructor takes the rights away)."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the secret
    role: Mapped[str] = mapped_column(String(16))
    username: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
