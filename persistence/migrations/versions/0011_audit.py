"""Audit: keyed seals over each case (and the process versions), the access log (NEN 7513),
closing and destruction dates of a case, the sha256 of each PDF in the Veiligheidskaart send log

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=60), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain', 'seq', name='uq_audit_seal_chain_seq'),
    )
    op.create_index('ix_audit_seal_case_id', 'audit_seal', ['case_id'])
    op.create_table('toegang_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('rollen', sa.String(length=200), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('wat', sa.String(length=200), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.Column('sessie', sa.String(length=64), nullable=True),
    sa.Column('betrokken', sa.Boolean(), nullable=False),
    sa.Column('doel', sa.String(length=40), nullable=True),
    sa.Column('toelichting', sa.String(length=500), nullable=True),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_toegang_case_at', 'toegang_log', ['case_id', 'at'])
    op.create_index('ix_toegang_user_at', 'toegang_log', ['username', 'at'])
    op.create_index('ix_toegang_at', 'toegang_log', ['at'])
    op.create_index('ix_toegang_sessie_case', 'toegang_log', ['sessie', 'case_id'])
    with op.batch_alter_table('casus') as batch:
        batch.add_column(sa.Column('afgesloten_op', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('vernietigd_op', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('vernietigd_door', sa.String(length=80), nullable=True))
    with op.batch_alter_table('vk_verzending') as batch:
        batch.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))
    # The one lawful deletion of history: destroying a case at the end of its retention term
    # (app/service/retention.py) names the case here in its transaction; nothing else may delete events.
    op.create_table('vernietiging_lopend', sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('case_id'))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER event_no_delete")
        op.execute("CREATE TRIGGER event_no_delete BEFORE DELETE ON event "
                   "WHEN NOT EXISTS (SELECT 1 FROM vernietiging_lopend WHERE case_id = OLD.case_id) "
                   "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END")
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_seal_no_{verb.lower()} BEFORE {verb} ON audit_seal "
                       "BEGIN SELECT RAISE(ABORT, 'seals are append-only'); END")
        op.execute("CREATE TRIGGER toegang_log_no_update BEFORE UPDATE ON toegang_log "
                   "BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM vernietiging_lopend WHERE case_id = OLD.case_id) "
                   "THEN RETURN OLD; END IF; RAISE EXCEPTION 'event log is append-only'; END $$")
        op.execute("CREATE FUNCTION audit_seal_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'seals are append-only'; END $$")
        op.execute("CREATE TRIGGER audit_seal_append_only BEFORE UPDATE OR DELETE ON audit_seal "
                   "FOR EACH ROW EXECUTE FUNCTION audit_seal_append_only()")
        op.execute("CREATE FUNCTION toegang_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'access log is append-only'; END $$")
        op.execute("CREATE TRIGGER toegang_log_append_only BEFORE UPDATE ON toegang_log "
                   "FOR EACH ROW EXECUTE FUNCTION toegang_log_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_no_delete")
        op.execute("CREATE TRIGGER event_no_delete BEFORE DELETE ON event "
                   "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END")
    else:
        op.execute("DROP TRIGGER IF EXISTS toegang_log_append_only ON toegang_log")
        op.execute("DROP FUNCTION IF EXISTS toegang_log_append_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_seal")
        op.execute("DROP FUNCTION IF EXISTS audit_seal_append_only()")
        op.execute("CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'event log is append-only'; END $$")
    op.drop_table('vernietiging_lopend')
    with op.batch_alter_table('vk_verzending') as batch:
        batch.drop_column('pdf_sha256')
    with op.batch_alter_table('casus') as batch:
        batch.drop_column('vernietigd_door')
        batch.drop_column('vernietigd_op')
        batch.drop_column('afgesloten_op')
    op.drop_table('toegang_log')
    op.drop_table('audit_seal')
