"""slack_sdk's installation and OAuth-state tables, in our metadata so migrations create them.

They are built by slack_sdk's own builders (so its stores read and write them unchanged) on
`SQLModel.metadata`; `db upgrade` then covers them like every other table. Token columns are
widened: we store Fernet ciphertexts (bot/workspace/oauth.py), which are longer than the tokens.
"""

from __future__ import annotations

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlmodel import SQLModel

BOTS = SQLAlchemyInstallationStore.default_bots_table_name
INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
STATES = SQLAlchemyOAuthStateStore.default_table_name
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
CIPHERTEXT = 1000  # a Fernet ciphertext is about 1.4 times the token plus 100 characters


def _register(metadata: sa.MetaData) -> None:
    if BOTS in metadata.tables:
        return
    tables = [
        SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS),
        SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS),
    ]
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES)
    for table in tables:
        for name in TOKEN_COLUMNS:
            if name in table.c:
                table.c[name].type = sa.String(CIPHERTEXT)


_register(SQLModel.metadata)
