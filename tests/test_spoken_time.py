"""Clock times and lengths are said the way people say them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pi_pause.voice import prompts
from pi_pause.voice.spoken_time import grid
from pi_pause.wallclock import return_time, round_up_to_five_minutes

WORDS = prompts.load().time


@pytest.mark.parametrize("hour, minute, spoken", [
    (21, 40, "at nine forty"),
    (9, 15, "at nine fifteen"),
    (9, 30, "at nine thirty"),
    (9, 45, "at nine forty-five"),
    (22, 0, "at ten o'clock"),
    (12, 0, "at noon"),
    (0, 0, "at midnight"),
    (0, 20, "at twelve twenty"),
    (11, 55, "at eleven fifty-five"),
    (22, 35, "at ten thirty-five"),
    (9, 5, "at nine oh five"),
    (9, 25, "at nine twenty-five"),
    (9, 43, "at nine forty-three"),
    (9, 7, "at nine oh seven"),
    (13, 11, "at one eleven"),
    (12, 45, "at twelve forty-five"),
])
def test_clock_times_are_spoken_as_americans_say_them(hour, minute, spoken):
    assert WORDS.at(dt.time(hour, minute)) == spoken


BRITISH = prompts.load(__import__("pathlib").Path(__file__).parent / "voice_prompts").time


@pytest.mark.parametrize("hour, minute, spoken", [
    (21, 40, "at twenty to ten"), (9, 15, "at quarter past nine"), (9, 30, "at half past nine"),
    (9, 45, "at quarter to ten"), (23, 35, "at twenty-five to twelve"), (9, 5, "at five past nine"),
    (9, 43, "at nine forty-three"), (9, 7, "at nine oh seven"),
])
def test_time_words_in_british_forms_still_say_twenty_to_ten(hour, minute, spoken):
    assert BRITISH.at(dt.time(hour, minute)) == spoken


def test_one_minute_is_singular():
    assert WORDS.length(1) == "one minute" and WORDS.length(61) == "an hour and one minute"


@pytest.mark.parametrize("minutes, spoken", [
    (20, "twenty minutes"), (10, "ten minutes"), (45, "forty-five minutes"),
    (60, "an hour"), (90, "an hour and a half"), (120, "two hours"),
    (130, "two hours and ten minutes"), (1440, "twenty-four hours"),
])
def test_lengths_of_time_are_spoken_naturally(minutes, spoken):
    assert WORDS.length(minutes) == spoken


def test_digits_style_lets_the_voice_read_the_clock():
    words = type(WORDS)(**{**WORDS.__dict__, "style": "digits"})
    assert words.at(dt.time(21, 40)) == "at 9:40"
    assert words.at(dt.time(0, 5)) == "at 12:05"


@pytest.mark.parametrize("given, expected", [
    ("21:17:00", "21:20"), ("21:20:00", "21:20"), ("21:20:01", "21:25"),
    ("23:58:30", "00:00"), ("09:00:00", "09:00"),
])
def test_return_time_is_rounded_up_to_five_minutes(given, expected):
    moment = dt.datetime.combine(dt.date(2026, 3, 1), dt.time.fromisoformat(given)).astimezone()
    assert round_up_to_five_minutes(moment).strftime("%H:%M") == expected
    assert round_up_to_five_minutes(moment) >= moment


def test_return_time_counts_real_minutes_across_the_spring_change():
    london = ZoneInfo("Europe/London")
    # 20 real minutes from 00:52 GMT end at 01:12 GMT, which the clocks call 02:12 BST
    back = return_time(dt.datetime(2026, 3, 29, 0, 52, tzinfo=london), 20)
    assert back == dt.datetime(2026, 3, 29, 2, 15, tzinfo=london)
    assert back.utcoffset() == dt.timedelta(hours=1)


def test_the_five_minute_grid_needs_only_a_few_distinct_phrases():
    phrases = {WORDS.at(t) for t in grid()}
    assert len(list(grid())) == 288
    assert len(phrases) == 145  # 12-hour speech; noon and midnight replace "twelve o'clock"
