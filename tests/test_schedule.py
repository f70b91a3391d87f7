"""The nightly check-in schedule over real tz data, with fake clocks."""

from __future__ import annotations

import queue
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pi_pause import config
from pi_pause.wallclock import ManualClock, round_up_to_five_minutes
from pi_pause.events import CheckinDue
from pi_pause.service.schedule import CheckinSchedule, CheckinTimer

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
EVERY_DAY = config.DAYS


def schedule(at: str, tz, tmp_path=None, days=EVERY_DAY, late=30) -> CheckinSchedule:
    hour, minute = map(int, at.split(":"))
    state = tmp_path / "checkin.json" if tmp_path else None
    return CheckinSchedule(time(hour, minute), days, tz, state, timedelta(minutes=late))


def fires_between(sched: CheckinSchedule, start: datetime, end: datetime, step=60) -> list[datetime]:
    """Walk the clock minute by minute, firing as the service would; return when it fired."""
    fired = []
    now = start
    while now < end:
        day = sched.due(now)
        if day is not None:
            sched.mark_fired(day)
            fired.append(now)
        now = (now.astimezone(timezone.utc) + timedelta(seconds=step)).astimezone(start.tzinfo)
    return fired


def test_checkin_is_at_the_configured_local_time_in_summer_and_winter():
    sched = schedule("21:00", LONDON)
    summer = sched.instant_on(datetime(2026, 7, 1).date())
    winter = sched.instant_on(datetime(2026, 12, 1).date())
    assert summer.astimezone(timezone.utc).hour == 20  # BST is UTC+1
    assert winter.astimezone(timezone.utc).hour == 21
    assert (summer.hour, winter.hour) == (21, 21)


def test_time_in_the_spring_forward_gap_fires_when_the_clocks_jump(tmp_path):
    # 2026-03-08: New York clocks go from 02:00 EST straight to 03:00 EDT.
    sched = schedule("02:30", NEW_YORK, tmp_path)
    at = sched.instant_on(datetime(2026, 3, 8).date())
    assert at.astimezone(timezone.utc) == datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc)
    assert (at.hour, at.minute) == (3, 0)
    start = datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)
    fired = fires_between(sched, start, start + timedelta(hours=6))
    assert [f.astimezone(timezone.utc) for f in fired] == [at.astimezone(timezone.utc)]


def test_time_in_the_london_spring_gap_fires_at_two_bst():
    sched = schedule("01:30", LONDON)
    at = sched.instant_on(datetime(2026, 3, 29).date())
    assert at.astimezone(timezone.utc) == datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc)
    assert (at.hour, at.minute) == (2, 0)


def test_time_in_the_repeated_fall_back_hour_fires_once_at_its_first_occurrence(tmp_path):
    # 2026-11-01: New York's 01:00-02:00 happens twice (EDT, then EST).
    sched = schedule("01:30", NEW_YORK, tmp_path)
    start = datetime(2026, 10, 31, 23, 0, tzinfo=NEW_YORK)
    fired = fires_between(sched, start, start + timedelta(hours=5))
    assert len(fired) == 1
    assert fired[0].astimezone(timezone.utc) == datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc)


def test_evening_checkin_keeps_its_local_hour_across_the_autumn_change(tmp_path):
    sched = schedule("21:00", LONDON, tmp_path)
    start = datetime(2026, 10, 24, 12, 0, tzinfo=LONDON)  # clocks go back on the 25th
    fired = fires_between(sched, start, start + timedelta(days=3))
    assert [(f.astimezone(LONDON).day, f.astimezone(LONDON).hour, f.minute) for f in fired] == [
        (24, 21, 0), (25, 21, 0), (26, 21, 0)]


def test_only_the_chosen_days_get_a_checkin():
    sched = schedule("21:00", LONDON, days=("sat", "sun"))
    start = datetime(2026, 6, 1, 0, 0, tzinfo=LONDON)  # a Monday
    fired = fires_between(sched, start, start + timedelta(days=7), step=600)
    assert [f.strftime("%a") for f in fired] == ["Sat", "Sun"]


def test_a_restart_the_same_evening_never_repeats_the_checkin(tmp_path):
    first = schedule("21:00", LONDON, tmp_path)
    at = datetime(2026, 6, 3, 21, 0, tzinfo=LONDON)
    assert first.due(at) == at.date()
    first.mark_fired(at.date())
    restarted = schedule("21:00", LONDON, tmp_path)
    assert restarted.due(at + timedelta(minutes=5)) is None
    assert restarted.next_check(at + timedelta(minutes=5)) == at + timedelta(days=1)


def test_a_missed_checkin_is_offered_late_only_within_the_grace_window(tmp_path):
    sched = schedule("21:00", LONDON, tmp_path, late=30)
    evening = datetime(2026, 6, 3, 21, 0, tzinfo=LONDON)
    assert sched.due(evening + timedelta(minutes=29)) == evening.date()
    assert sched.due(evening + timedelta(minutes=31)) is None
    assert sched.next_check(evening + timedelta(hours=2)) == evening + timedelta(days=1)


def test_a_checkin_just_before_midnight_is_still_offered_after_midnight(tmp_path):
    sched = schedule("23:50", LONDON, tmp_path)
    assert sched.due(datetime(2026, 6, 4, 0, 10, tzinfo=LONDON)) == datetime(2026, 6, 3).date()


def test_unreadable_state_is_ignored_with_a_warning(tmp_path, caplog):
    (tmp_path / "checkin.json").write_text("{not json")
    sched = schedule("21:00", LONDON, tmp_path)
    assert sched.last_fired is None
    assert "ignoring unreadable check-in state" in caplog.text


def test_disabled_checkin_never_fires():
    sched = CheckinSchedule(time(21, 0), EVERY_DAY, LONDON, enabled=False)
    assert sched.next_check(datetime(2026, 6, 3, 21, 0, tzinfo=LONDON)) is None


def test_settings_give_the_schedule_its_time_days_and_state_file(tmp_path):
    settings = config.parse(f'[checkin]\ntime = "20:15"\ndays = ["fri"]\nlate_minutes = 10\n'
                            f'[paths]\nstate_dir = "{tmp_path}"\n')
    sched = CheckinSchedule.from_settings(settings, tz=LONDON)
    nxt = sched.next_check(datetime(2026, 6, 1, 9, 0, tzinfo=LONDON))
    assert nxt == datetime(2026, 6, 5, 20, 15, tzinfo=LONDON)
    assert sched.late == timedelta(minutes=10)
    assert sched.state_file == tmp_path / "checkin.json"


def test_timer_posts_checkin_due_at_the_scheduled_instant_across_a_dst_change(tmp_path):
    clock = ManualClock(datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK))
    sched = schedule("02:30", NEW_YORK, tmp_path)
    inbox: queue.Queue = queue.Queue()
    timer = CheckinTimer(sched, clock, lambda ev: inbox.put((ev, clock.now()))).start()
    try:
        jump_at = datetime(2026, 3, 8, 3, 0, tzinfo=NEW_YORK)  # 02:30 does not exist that night
        clock.set(jump_at.astimezone(timezone.utc) - timedelta(seconds=1))
        with pytest.raises(queue.Empty):
            inbox.get(timeout=0.3)
        clock.advance(1)
        event, when = inbox.get(timeout=2)
        assert isinstance(event, CheckinDue)
        assert when == jump_at
        clock.advance(3600)  # an hour later: nothing more that night
        with pytest.raises(queue.Empty):
            inbox.get(timeout=0.3)
    finally:
        timer.stop()
    # The fired date survived on disk, so a restarted timer stays quiet too.
    assert schedule("02:30", NEW_YORK, tmp_path).due(clock.now()) is None


@pytest.mark.parametrize("start, expected", [
    (datetime(2026, 6, 3, 21, 0, tzinfo=LONDON), (21, 0)),
    (datetime(2026, 6, 3, 21, 0, 1, tzinfo=LONDON), (21, 5)),
    (datetime(2026, 6, 3, 21, 57, tzinfo=LONDON), (22, 0)),
    (datetime(2026, 6, 3, 21, 31, tzinfo=ZoneInfo("Asia/Kathmandu")), (21, 35)),  # UTC+5:45
    (datetime(2026, 3, 8, 1, 58, tzinfo=NEW_YORK), (3, 0)),  # 02:00 does not exist that night
])
def test_return_times_round_up_to_five_minutes_on_the_local_clock(start, expected):
    rounded = round_up_to_five_minutes(start)
    assert (rounded.hour, rounded.minute, rounded.second) == (*expected, 0)
    assert rounded >= start
