"""The pacer: each method at its tier's rate, 429s hold every caller, never a real sleep."""

from __future__ import annotations

import threading

import pytest

from bot.outbox.pacer import TIER_3, Pacer, Rate, method_of, retry_after
from bot.settings import SettingsError, load_settings


class FakeTime:
    """A monotonic clock that only moves when someone sleeps; every sleep is recorded."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 1_000.0
        self.frozen = frozen
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if not self.frozen:
                self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def pacer_on(time: FakeTime, **kwargs) -> Pacer:
    return Pacer(clock=time.clock, sleep=time.sleep, **kwargs)


def test_a_burst_goes_at_once_and_the_rest_at_the_sustained_rate(time):
    pacer = pacer_on(time, post_message=Rate(20, 10))
    waits = [pacer.acquire("chat.postMessage") for _ in range(30)]
    assert waits[:10] == [0] * 10
    assert waits[10:] == pytest.approx([0.05] * 20)
    assert time.now == pytest.approx(1_001.0)  # 30 calls in one second: 10 at once, 20 at 20/s


def test_each_method_has_its_tiers_rate_and_its_own_bucket(time):
    pacer = pacer_on(time)
    for _ in range(3):  # users.list is tier 2: 20 a minute, bursts of 3
        assert pacer.acquire("users.list") == 0
    assert pacer.acquire("views.publish") == 0  # another method is not slowed by it
    assert pacer.acquire("users.list") == pytest.approx(3.0)
    assert pacer.rate("some.newMethod") == TIER_3


def test_retry_after_holds_every_caller_of_the_method_and_no_other(time):
    pacer = pacer_on(time, post_message=Rate(20, 10))
    pacer.acquire("chat.postMessage")
    pacer.hold("chat.postMessage", 7)  # one caller got a 429 with Retry-After: 7
    assert pacer.acquire("views.open") == 0
    assert pacer.acquire("chat.postMessage") == pytest.approx(7.0)  # another caller waits too
    assert pacer.limited == 1


def test_after_a_429_the_method_goes_slower_and_recovers_as_calls_succeed(time):
    pacer = pacer_on(time, post_message=Rate(10, 1))
    pacer.acquire("chat.postMessage")
    pacer.hold("chat.postMessage", 0)
    pacer.acquire("chat.postMessage")
    slowed = [pacer.acquire("chat.postMessage") for _ in range(3)]
    assert all(wait > 0.1 for wait in slowed)  # slower than the 0.1 s the rate allows
    for _ in range(100):
        pacer.acquire("chat.postMessage")
    assert pacer.acquire("chat.postMessage") == pytest.approx(0.1)


def test_a_hold_that_arrives_while_a_caller_waits_makes_it_wait_again():
    time = FakeTime()
    pacer = Pacer(clock=time.clock, post_message=Rate(1, 1), sleep=lambda s: None)

    def sleep(seconds: float) -> None:  # while this caller sleeps, another gets a 429
        time.now += seconds
        pacer.sleep = time.sleep
        pacer.hold("chat.postMessage", 30)

    pacer.acquire("chat.postMessage")
    pacer.sleep = sleep
    waited = pacer.acquire("chat.postMessage")
    assert waited == pytest.approx(1 + 30)


def test_many_threads_each_get_their_own_turn():
    time = FakeTime(frozen=True)  # nobody's sleep moves the clock: turns are plain reservations
    pacer = pacer_on(time, post_message=Rate(20, 10))

    def caller() -> None:
        for _ in range(25):
            pacer.acquire("chat.postMessage")

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(time.sleeps) == pytest.approx([k * 0.05 for k in range(1, 191)])


def test_method_and_retry_after_are_read_like_slack_sends_them():
    assert method_of("http://127.0.0.1:9/api/chat.postMessage") == "chat.postMessage"
    assert method_of("https://slack.com/api/users.list?cursor=x") == "users.list"
    assert retry_after({"Retry-After": ["12"]}) == 12
    assert retry_after({"retry-after": "3"}) == 3
    assert retry_after({"Retry-After": ["soon"]}) == 1
    assert retry_after({}) == 1


def test_the_send_rate_is_a_setting_and_a_bad_one_is_named():
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert load_settings(env).send_rate == 20
    assert load_settings({**env, "LEADBOT_SEND_RATE": "2.5"}).send_rate == 2.5
    for bad in ("fast", "0", "-1", "nan"):
        with pytest.raises(SettingsError) as error:
            load_settings({**env, "LEADBOT_SEND_RATE": bad})
        assert any("LEADBOT_SEND_RATE" in problem for problem in error.value.problems)
