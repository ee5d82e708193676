"""Access tokens for the web actions: created on the command line, stored hashed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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


class WebSession(Base):
    """A signed-in browser: its cookie holds a random session id, not the token, so signing out
    (deleting the row) ends it for good, and revoking the token ends all its sessions. Only a
    hash of the id is stored: a copy of the database cannot sign anyone in."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the id
    token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
