"""Encryption at rest of installed workspaces' tokens: Fernet, keyed by LEADBOT_ENCRYPTION_KEY."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

MAKE_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def key_problem(key: str) -> str | None:
    """Why `key` is not a Fernet key (32 url-safe base64-encoded bytes), or None when it is."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return f"must be a Fernet key (32 url-safe base64-encoded bytes); make one with {MAKE_KEY}"
    return None


class TokenCipher:
    """Encrypts and decrypts token strings; a token that will not decrypt reads as None."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def encrypt(self, token: str | None) -> str | None:
        """The token's ciphertext (None stays None)."""
        return None if token is None else self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        """The token; None when absent, or when it was encrypted with another key."""
        if stored is None:
            return None
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            return None

    def __repr__(self) -> str:
        return "TokenCipher(<key hidden>)"
