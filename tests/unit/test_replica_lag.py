"""How the router judges a streaming replica's lag (gis_app/db_router.py, issue #20).

The states are what ``STATE_SQL`` answered on the cluster of ``make cluster`` (PostgreSQL 15);
streaming itself is exercised by ``make test-cluster``.
"""

from __future__ import annotations

import pytest

from gis_app.db_router import NEVER_REPLAYED_LAG, ReplicaState, parse_lsn


def state(**changes: object) -> ReplicaState:
    """A standby streaming from an idle primary, restarted 141 s after the last commit."""
    values: dict[str, object] = {
        "in_recovery": True, "receiver_connected": True, "receiver_status": "streaming",
        "replayed_lsn": "0/509EB00",
        # after a restart, pg_last_wal_receive_lsn() is the start of the segment it asked for
        "received_lsn": "0/5000000", "written_lsn": "0/509EB00", "primary_end_lsn": "0/509EB00",
        "last_replay_age": 141.1,
    }
    values.update(changes)
    return ReplicaState(**values)  # type: ignore[arg-type]


def test_lsns_compare_as_positions_not_as_text():
    assert parse_lsn("0/FFFFFFFF") < parse_lsn("1/0") < parse_lsn("1/A")
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert parse_lsn(None) is None and parse_lsn("") is None


def test_a_restarted_replica_of_an_idle_primary_is_not_behind():
    # the old rule (received = replayed, else the age of the last commit) called this 141 s
    assert state().lag_seconds() == 0.0
    assert "replayed 0/509EB00 of 0/509EB00 known" in state().describe()


def test_a_fresh_replica_that_replayed_no_transaction_yet_is_not_behind_when_caught_up():
    assert state(last_replay_age=None).lag_seconds() == 0.0


def test_a_role_without_pg_read_all_stats_still_sees_a_caught_up_replica():
    # pg_stat_wal_receiver hides everything but the pid from such a role
    hidden = state(receiver_status=None, written_lsn=None, primary_end_lsn=None)
    assert hidden.lag_seconds() == 0.0


def test_wal_waiting_to_be_replayed_counts_the_age_of_the_last_replayed_commit():
    paused = state(primary_end_lsn="0/50A1000", last_replay_age=7.5)
    assert paused.lag_seconds() == 7.5
    received = state(received_lsn="0/50A1000", written_lsn="0/50A1000", last_replay_age=4.0)
    assert received.lag_seconds() == 4.0
    assert state(primary_end_lsn="0/50A1000", last_replay_age=None).lag_seconds() == (
        NEVER_REPLAYED_LAG)


@pytest.mark.parametrize("connected, status", [(False, None), (True, "waiting"),
                                                (True, "starting")])
def test_a_replica_not_streaming_from_the_primary_counts_the_age_of_its_data(connected, status):
    # cut off from the primary it cannot know what it misses: its data is as old as its last
    # replayed commit (the router still reads from it when the primary itself is down)
    cut_off = state(receiver_connected=connected, receiver_status=status, last_replay_age=12.0)
    assert cut_off.lag_seconds() == 12.0


def test_a_replica_that_knows_no_position_yet_is_not_called_caught_up():
    starting = state(received_lsn=None, written_lsn=None, primary_end_lsn=None,
                     last_replay_age=None)
    assert starting.lag_seconds() == NEVER_REPLAYED_LAG
    assert "of none known" in starting.describe()


def test_a_server_that_is_not_a_standby_has_no_lag():
    assert state(in_recovery=False, receiver_connected=False, received_lsn=None,
                 last_replay_age=None).lag_seconds() == 0.0
