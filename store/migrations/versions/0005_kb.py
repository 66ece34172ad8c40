"""Knowledge base: articles with accent-insensitive Portuguese, English and Spanish full-text search.

Each language gets a text search configuration that strips accents before stemming (`pt_unaccent`,
`en_unaccent`, `es_unaccent`), so "configuracao" and "configuração" reach the same lexeme whichever of
them the article or the customer wrote. The `search` column is generated from the article's own
language, title weighted A and body B, and GIN-indexed. `f_unaccent` is an IMMUTABLE wrapper of
`unaccent` (which is only STABLE) so that the trigram index on titles, used for partial words and typos,
can be built on it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CONFIGS = {
    "pt": ("pt_unaccent", "portuguese"),
    "en": ("en_unaccent", "english"),
    "es": ("es_unaccent", "spanish"),
}

# Literal regconfig constants (not a function) so that Postgres records the column's dependency on
# each configuration and the expression stays immutable, as a generated column requires.
_CONFIG_OF_LANGUAGE = (
    "CASE language "
    + " ".join(f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, (config, _) in CONFIGS.items())
    + " END"
)
SEARCH_EXPRESSION = (
    f"setweight(to_tsvector({_CONFIG_OF_LANGUAGE}, title), 'A')"
    f" || setweight(to_tsvector({_CONFIG_OF_LANGUAGE}, body), 'B')"
)


def _create_text_search() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(
        "CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text"
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
        " AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
    )
    for config, base in CONFIGS.values():
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = {base})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {config}"
            f" ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {base}_stem"
        )


def upgrade() -> None:
    _create_text_search()
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("product", sa.Text),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("tags", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("language IN ('pt', 'en', 'es')", name="ck_kb_articles_language"),
        sa.UniqueConstraint("url", name="uq_kb_articles_url"),
    )
    op.execute(
        f"ALTER TABLE kb_articles ADD COLUMN search tsvector GENERATED ALWAYS AS ({SEARCH_EXPRESSION}) STORED"
    )
    op.execute("CREATE INDEX ix_kb_articles_search ON kb_articles USING gin (search)")
    op.execute(
        "CREATE INDEX ix_kb_articles_title_trgm ON kb_articles"
        " USING gin (f_unaccent(lower(title)) gin_trgm_ops)"
    )
    op.create_index("ix_kb_articles_product", "kb_articles", ["product"])


def downgrade() -> None:
    op.drop_table("kb_articles")
    for config, _ in CONFIGS.values():
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {config}")
    op.execute("DROP FUNCTION IF EXISTS f_unaccent(text)")
    op.execute("DROP EXTENSION IF EXISTS unaccent")
