"""The login rate limit: failed tries counted per account and client, per client, per account.

- One account from one client: after PAIR_MAX failures that pair waits out the window, even with
  the right password (someone guessing from there).
- One client over all accounts: CLIENT_MAX failures (guessing many accounts from one place).
- One account from all clients: no lock, because anyone could then lock anyone out. Above
  ACCOUNT_UNDER_ATTACK failures the account is under attack and every client that itself failed
  on it in the window waits (its pair limit drops to that one failure); a client that did not
  fail still gets its password checked, so the owner can log in while the account is attacked.

A try is counted BEFORE its password is checked, in one statement per key (INSERT ... ON
CONFLICT DO UPDATE ... RETURNING) in a short transaction of its own: of any number of parallel
tries at most the allowed number see a count within the limit and get their password checked.
A refused try rolls back its counts, so a limit ends WINDOW after the first failure that counted.
A correct password takes its try back again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.orm import Session

from persistence.models import LoginLimit

from .errors import ServiceError

PAIR_MAX = 5
CLIENT_MAX = 20
ACCOUNT_UNDER_ATTACK = 10
WINDOW = timedelta(minutes=15)


class TooManyAttempts(ServiceError):
    code = "te_veel_pogingen"


@dataclass(frozen=True)
class Keys:
    pair: str
    client: str
    account: str

    @classmethod
    def of(cls, username: str, client: str) -> "Keys":
        name = username.strip().lower()[:120]
        client = client[:100]
        # Always locked in this order (pair, client, account), so parallel tries never deadlock.
        return cls(pair=f"pair:{name}|{client}", client=f"client:{client}", account=f"user:{name}")


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(LoginLimit)


def _count_up(session: Session, key: str, now: datetime) -> int:
    """This key's failures in the current window, this try included (one atomic statement)."""
    expired = LoginLimit.window_start <= now - WINDOW
    statement = _insert(session).values(key=key, failures=1, window_start=now)
    statement = statement.on_conflict_do_update(
        index_elements=[LoginLimit.key],
        set_={"failures": case((expired, 1), else_=LoginLimit.failures + 1),
              "window_start": case((expired, now), else_=LoginLimit.window_start)},
    ).returning(LoginLimit.failures)
    return session.execute(statement).scalar_one()


def count_try(session: Session, now: datetime, keys: Keys) -> None:
    """Count this try as a failure before the password is checked; TooManyAttempts when limited
    (raised inside the transaction, so a refused try does not count)."""
    pair = _count_up(session, keys.pair, now)
    client = _count_up(session, keys.client, now)
    account = _count_up(session, keys.account, now)
    under_attack = account > ACCOUNT_UNDER_ATTACK and pair > 1
    if pair > PAIR_MAX or client > CLIENT_MAX or under_attack:
        raise TooManyAttempts("Te veel mislukte pogingen. Probeer het over een kwartier opnieuw.")


def take_back(session: Session, now: datetime, keys: Keys) -> None:
    """A correct password: the pair starts afresh, the client and the account lose this one try
    (not more: logging in to an account of one's own must not reset a guesser's counts)."""
    session.execute(delete(LoginLimit).where(LoginLimit.key == keys.pair))
    session.execute(update(LoginLimit).where(LoginLimit.key.in_([keys.client, keys.account]),
                                             LoginLimit.failures > 0)
                    .values(failures=LoginLimit.failures - 1))
    # Windows that ended count for nothing: the table stays as small as the recent tries.
    session.execute(delete(LoginLimit).where(LoginLimit.window_start <= now - WINDOW))
