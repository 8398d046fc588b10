"""Distribution: Bolt's OAuth flow on our database, with installed tokens encrypted at rest.

`/slack/install` and `/slack/oauth_redirect` are Bolt's own (served by bot/web/server.py); the
installation and OAuth-state tables are slack_sdk's, created by our migrations
(storage/slack_tables.py). Every token is written as a Fernet ciphertext keyed by
LEADBOT_ENCRYPTION_KEY and decrypted only when read.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import TypeVar

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.crypto import TokenCipher
from bot.runtime.deps import Deps
from bot.settings import Settings
from bot.workspace.manifest import load_manifest

logger = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
Record = TypeVar("Record", Installation, Bot)


class EncryptedInstallationStore(InstallationStore):
    """slack_sdk's SQLAlchemy store, with every token encrypted before it is written."""

    def __init__(
        self,
        inner: SQLAlchemyInstallationStore,
        cipher: TokenCipher,
        on_save: Callable[[str], None] | None = None,
    ) -> None:
        self.inner = inner
        self.cipher = cipher
        self.on_save = on_save

    @property
    def logger(self) -> logging.Logger:
        return self.inner.logger

    def _sealed(self, record: Record) -> Record:
        sealed = copy.copy(record)
        for name in TOKENS:
            if hasattr(sealed, name):
                setattr(sealed, name, self.cipher.encrypt(getattr(sealed, name)))
        return sealed

    def _opened(self, record: Record | None) -> Record | None:
        if record is None:
            return None
        opened = copy.copy(record)
        for name in TOKENS:
            if hasattr(opened, name):
                setattr(opened, name, self.cipher.decrypt(getattr(record, name)))
        if record.bot_token is not None and opened.bot_token is None:
            logger.error(
                "the stored token of %s does not decrypt with LEADBOT_ENCRYPTION_KEY "
                "(was the key changed?); the workspace must reinstall",
                record.team_id,
            )
            return None
        return opened

    def save(self, installation: Installation) -> None:
        """Store the installation (tokens encrypted); a reinstall resumes the workspace."""
        self.inner.save(self._sealed(installation))
        if self.on_save is not None and installation.team_id:
            self.on_save(installation.team_id)

    def save_bot(self, bot: Bot) -> None:
        self.inner.save_bot(self._sealed(bot))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.inner.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self.inner.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self.inner.delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )


def installation_store(
    settings: Settings, engine: Engine, on_save: Callable[[str], None] | None = None
) -> EncryptedInstallationStore:
    """The encrypted store on our engine (OAuth mode only: it needs the client id and key)."""
    if settings.client_id is None or settings.encryption_key is None:
        raise ValueError("installation_store needs SLACK_CLIENT_ID and LEADBOT_ENCRYPTION_KEY")
    inner = SQLAlchemyInstallationStore(
        client_id=settings.client_id, engine=engine, logger=logging.getLogger(__name__)
    )
    return EncryptedInstallationStore(inner, TokenCipher(settings.encryption_key), on_save)


def bot_scopes() -> list[str]:
    """The bot scopes app.yml declares: the ones an install asks for."""
    return list(load_manifest()["oauth_config"]["scopes"]["bot"])


def oauth_settings(deps: Deps) -> OAuthSettings | None:
    """Bolt's OAuth settings in OAuth mode; None for a single workspace (SLACK_BOT_TOKEN)."""
    settings = deps.settings
    if not settings.oauth:
        return None
    from bot.workspace.lifecycle import reinstalled

    def resumed(workspace_id: str) -> None:
        reinstalled(deps.engine, workspace_id, deps.clock())

    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=bot_scopes(),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installation_store(settings, deps.engine, on_save=resumed),
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=deps.engine, logger=logger
        ),
        logger=logger,
    )
