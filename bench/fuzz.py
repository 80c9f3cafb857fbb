"""Fuzz a running Drumbeat over HTTP, as an attacker with (and without) the signing secret would.

Hypothesis generates, for a bounded time, four kinds of input and the Slack emulator delivers each to the bot
as a real HTTP request:
1. slash commands: every sub-command, with hostile text (Jinja2, mentions, pipes, long, odd Unicode), from a
   leader, a manager, a rep and a stranger;
2. interactions: block_actions for every action id and view_submission for every callback id, with real,
   wrong, missing and wrong-typed fields (and `views.open` answering `expired_trigger_id` now and then);
3. events: app_home_opened, user_change, subteam_members_changed with wrong and missing fields;
4. malformed bodies: unsigned, bad signature, `X-Slack-Request-Timestamp: abc`, missing headers, not UTF-8,
   `payload=not-json`, JSON nested 100,000 deep, arrays, oversized (1.5 MB), replays of a signed request.

It counts the answers that were 5xx, the unhandled exceptions (log records at ERROR or above with a traceback,
from any logger, plus uncaught thread exceptions) and the slowest answer. Goals: 0 / 0 / under 3 s.

    .venv/bin/python bench/fuzz.py [--seconds 75] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, settings, strategies as st  # noqa: E402

from bench.fanout import throwaway_database  # noqa: E402
from bot.app import Drumbeat  # noqa: E402
from bot.core.org import import_org_csv  # noqa: E402
from bot.demo import DEMO_PEOPLE, demo_org_csv  # noqa: E402
from bot.emulators.slack import SlackEmulator  # noqa: E402
from bot.emulators.slack.actor import sign  # noqa: E402
from bot.platforms import USER_ID_FORMATS  # noqa: E402
from bot.settings import settings_from_mapping  # noqa: E402
from bot.slack.ids import ActionId, CallbackId, ModalBlock  # noqa: E402
from bot.slack.platform import SLACK_EVENTS_PATH  # noqa: E402

SECRET = "fuzz-secret"
GOAL_SLOWEST_S = 3.0
USERS = [person.slack_id for person in DEMO_PEOPLE] + ["U0STRANGER"]
SUBCOMMANDS = ["", "help", "send", "broadcast", "schedules", "summary", "summary export", "team link", "feedback",
               "feedback list", "feedback mine", "feedback request", "feedback yousaid", "quiz me", "quiz new", "away",
               "away until", "away off", "nonsense"]
ACTION_IDS = [a.value for a in ActionId] + ["feedback_open", "feedback_reply", "feedback_withdraw", "quiz_answer_1",
                                            "quiz_sure_3", "coaching_cause_1", "coaching_coached_1",
                                            "coaching_snooze_1", "coaching_refresher_1", "unknown_action"]
CALLBACK_IDS = [c.value for c in CallbackId] + ["feedback_modal", "feedback_reply_modal", "quiz_new_modal",
                                                "coaching_modal", "unknown_modal"]
BLOCKS = [b.value for b in ModalBlock] + ["stop", "start", "continue", "anonymous", "replies", "text", "prompt"]
HOSTILE = ["{{ 7*7 }}", "{% for a in range(100000) %}{% endfor %}", "<!channel>", "<@U0LEADER1>", "| |", "East",
           "West", "@marco", "1", "-1", "99999999999999999999", "2026-13-45", "\x00", "😀" * 50, "'; DROP TABLE x;--",
           "win-on-strategy", "to East", "x" * 3000]

text = st.one_of(st.text(max_size=200), st.sampled_from(HOSTILE),
                 st.lists(st.sampled_from(HOSTILE), max_size=4).map(" ".join))
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False), text)
junk = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                    st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=6)
maybe = st.one_of(junk, text)  # a field that is usually a string, sometimes anything


def _with_gaps(fields: dict[str, Any], required: tuple[str, ...] = ("user",)) -> st.SearchStrategy[dict[str, Any]]:
    """A payload whose fields are each kept (mostly), dropped or replaced by junk; `required` ones never dropped."""
    mostly = {key: st.one_of(*[value] * 7, junk) for key, value in fields.items()}
    return st.fixed_dictionaries({key: mostly[key] for key in required if key in mostly},
                                 optional={key: value for key, value in mostly.items() if key not in required})


def _state_value() -> st.SearchStrategy[Any]:
    return st.one_of(junk, st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": text}),
                     st.fixed_dictionaries({"selected_option": st.fixed_dictionaries({"value": text})}),
                     st.fixed_dictionaries({"selected_options": st.lists(st.fixed_dictionaries({"value": text}),
                                                                         max_size=3)}))


state_values = st.dictionaries(st.sampled_from(BLOCKS), st.dictionaries(
    st.one_of(st.sampled_from(BLOCKS).map(lambda b: f"{b}_input"), st.just("message_pick")), _state_value(),
    max_size=2), max_size=6)
user = st.one_of(st.sampled_from(USERS).map(lambda u: {"id": u, "team_id": "T0001"}), junk)


def actions_payload() -> st.SearchStrategy[dict[str, Any]]:
    action = st.fixed_dictionaries({"action_id": st.sampled_from(ACTION_IDS)}, optional={
        "value": maybe, "block_id": maybe, "selected_option": st.one_of(junk, st.fixed_dictionaries({"value": text})),
        "type": st.just("button")})
    base = _with_gaps({"user": user, "trigger_id": st.just("1.2.trig"), "team": st.just({"id": "T0001"}),
                       "channel": st.one_of(st.just({"id": "D0001"}), junk), "message": st.one_of(
                           st.fixed_dictionaries({"ts": st.just("1.000001")}), junk),
                       "container": junk, "response_url": st.just("http://127.0.0.1:9/nowhere"),
                       "view": st.fixed_dictionaries({"id": st.just("V0"), "state": st.fixed_dictionaries(
                           {"values": state_values})}, optional={"private_metadata": maybe})})
    return st.tuples(base, st.lists(action, min_size=0, max_size=2)).map(
        lambda pair: {"type": "block_actions", **pair[0], "actions": pair[1]})


def view_payload() -> st.SearchStrategy[dict[str, Any]]:
    view = st.fixed_dictionaries({"id": st.just("V0FUZZ"), "type": st.just("modal"),
                                  "callback_id": st.sampled_from(CALLBACK_IDS),
                                  "state": st.fixed_dictionaries({"values": state_values})},
                                 optional={"private_metadata": maybe, "hash": maybe})
    return st.tuples(_with_gaps({"user": user, "team": st.just({"id": "T0001"})}), view).map(
        lambda pair: {"type": "view_submission", **pair[0], "view": pair[1], "trigger_id": "1.2.trig"})


def event_payload() -> st.SearchStrategy[dict[str, Any]]:
    event = st.one_of(
        st.fixed_dictionaries({"type": st.just("app_home_opened")},
                              optional={"user": st.one_of(st.sampled_from(USERS), junk), "tab": maybe}),
        st.fixed_dictionaries({"type": st.just("user_change")}, optional={"user": st.one_of(junk, st.fixed_dictionaries(
            {"id": st.sampled_from(USERS)}, optional={"real_name": maybe, "tz": maybe, "deleted": junk,
                                                       "profile": junk}))}),
        st.fixed_dictionaries({"type": st.just("subteam_members_changed")},
                              optional={"subteam_id": maybe, "added_users": junk, "removed_users": junk}),
        junk)
    return st.tuples(event, st.text(alphabet="ABCDEF0123456789", min_size=6, max_size=10)).map(
        lambda pair: {"type": "event_callback", "team_id": "T0001", "event": pair[0], "event_id": f"Ev{pair[1]}"})


class Tally:
    """What the bot answered, and what it logged, across the run."""

    def __init__(self) -> None:
        self.tried = 0
        self.statuses: Counter[int] = Counter()
        self.slowest = 0.0
        self.slowest_input = ""
        self.unhandled: list[str] = []
        self.tracebacks: list[str] = []  # the first of each place, for --tracebacks
        self.samples_5xx: list[str] = []
        self.refusals: Counter[str] = Counter()  # why a fuzzed input was refused 400 (its first bad field)
        self._lock = threading.Lock()

    def answered(self, status: int, elapsed: float, what: str) -> None:
        with self._lock:
            self.tried += 1
            self.statuses[status] += 1
            if status >= 500 and len(self.samples_5xx) < 5:
                self.samples_5xx.append(f"{status} for {what[:160]}")
            if elapsed > self.slowest:
                self.slowest, self.slowest_input = elapsed, what[:160]


class Unhandled(logging.Handler):
    """Counts log records that carry a traceback (Bolt's and our error handlers, waitress) at ERROR or above."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(level=logging.ERROR)
        self.tally = tally

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "Traceback" in record.getMessage():
            kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "error"
            where = ""
            if record.exc_info and record.exc_info[2] is not None:
                tb = record.exc_info[2]
                while tb.tb_next is not None:
                    tb = tb.tb_next
                where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
            place = f"{kind}{where}: {record.getMessage()[:120]}"
            if place not in self.tally.unhandled:
                self.tally.tracebacks.append("".join(traceback.format_exception(*record.exc_info))
                                             if record.exc_info else record.getMessage())
            self.tally.unhandled.append(place)


def headers_first_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    """A body too big to take: the server answers from the declared length and closes, while a client still
    writing the body would see only the reset. So send the headers, read the answer, and send the body only if
    the server waits for it (an answer after the whole body is what a server that reads it all gives)."""
    parts = urllib.parse.urlsplit(url)
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.putrequest("POST", parts.path)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders()
        try:
            status = connection.getresponse().status
        except TimeoutError:
            connection.sock.settimeout(30)
            connection.send(body)
            status = connection.getresponse().status
    except OSError:
        status = 599
    finally:
        connection.close()
    return status, time.monotonic() - started


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    if len(body) > 1_000_000:
        return headers_first_post(url, body, headers)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError):
        status = 599  # the connection was dropped: counted as a server failure
    return status, time.monotonic() - started


def malformed_bodies(url: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """The fixed list of broken requests from issue 14 (and their kin); each signed unless it is about signing."""
    now = str(int(time.time()))

    def signed(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
        return {"Content-Type": content_type, "X-Slack-Request-Timestamp": now,
                "X-Slack-Signature": sign(SECRET, int(now), body)}

    deep = b"[" * 100_000 + b"]" * 100_000
    big = b"payload=" + b"x" * 1_500_000
    cases = [
        ("payload=not-json", b"payload=not-json", signed(b"payload=not-json")),
        ("JSON nested 100,000 deep", deep, signed(deep, "application/json")),
        ("JSON nested 100,000 deep in payload", b"payload=" + deep, signed(b"payload=" + deep)),
        ("not UTF-8", b"\xff\xfe\xfa", signed(b"command=%2Fdrumbeat")),
        ("timestamp abc", b"command=%2Fdrumbeat", {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}),
        ("no signature headers", b"command=%2Fdrumbeat", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("bad signature", b"command=%2Fdrumbeat", {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64}),
        ("oversized 1.5 MB", big, {"Content-Type": "application/x-www-form-urlencoded",
                                  "X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=00"}),
        ("JSON array", b"[1,2,3]", signed(b"[1,2,3]", "application/json")),
        ("payload array", b"payload=%5B1%5D", signed(b"payload=%5B1%5D")),
        ("user is a number", b'payload={"type":"block_actions","user":5,"actions":[]}',
         signed(b'payload={"type":"block_actions","user":5,"actions":[]}')),
        ("empty body", b"", signed(b"")),
    ]
    replayed = urlencode({"command": "/drumbeat", "text": "help", "user_id": "U0REPEA01", "trigger_id": "1.2.r"}).encode()
    cases += [("signed once", replayed, signed(replayed)), ("the same, replayed", replayed, signed(replayed))]
    return cases


def run_fuzz(slack: SlackEmulator, url: str, tally: Tally, seconds: float) -> None:
    slack.after_each_answer(lambda: None)

    def send(body: bytes, content_type: str, what: str) -> None:
        response = slack.send_signed(body, content_type)
        tally.answered(response.status, response.elapsed, what)
        if response.status == 400:
            tally.refusals[str(response.body).split(":")[-1].strip()[:60]] += 1

    def section(strategy: st.SearchStrategy[Any], deliver: Callable[[Any], None], share: float) -> None:
        deadline, before = time.monotonic() + seconds * share, tally.tried

        class Done(Exception):
            pass

        @settings(max_examples=100_000, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def fuzz(value: Any) -> None:
            if time.monotonic() > deadline:
                raise Done
            deliver(value)

        try:
            fuzz()
        except Done:
            pass
        print(f"  {getattr(deliver, '__name__', 'inputs'):<12} {tally.tried - before} inputs")

    def command(args: tuple[str, str, str]) -> None:
        who, word, rest = args
        typed = f"{word} {rest}".strip()
        if len(rest) % 5 == 0:
            slack.inject_fault("views.open", error="expired_trigger_id")
        response = slack.slash_command(who, text=typed)
        tally.answered(response.status, response.elapsed, f"{who}: /drumbeat {typed!r}")

    def interaction(payload: dict[str, Any]) -> None:
        if len(json.dumps(payload, default=str)) % 7 == 0:
            slack.inject_fault("views.open", error="expired_trigger_id")
        if "response_url" in payload:  # as Slack does: a real, short-lived URL for this user (the emulator's)
            who = (payload.get("user") or {}).get("id") if isinstance(payload.get("user"), dict) else None
            who = who if who in USERS else "U0STRANGER"
            workspace = slack._ws  # noqa: SLF001 - the bench plays Slack, which issues the URL
            payload["response_url"] = workspace.issue_response_url(user_id=who, channel_id=workspace.dm_for(who).id)
        body = urlencode({"payload": json.dumps(payload, default=str)}).encode()
        send(body, "application/x-www-form-urlencoded", json.dumps(payload, default=str))

    def event(payload: dict[str, Any]) -> None:
        send(json.dumps(payload, default=str).encode(), "application/json", json.dumps(payload, default=str))

    section(st.tuples(st.sampled_from(USERS), st.sampled_from(SUBCOMMANDS), text), command, 0.35)
    section(actions_payload(), interaction, 0.25)
    section(view_payload(), interaction, 0.2)
    section(event_payload(), event, 0.15)
    for what, body, headers in malformed_bodies(url):
        status, elapsed = raw_post(url, body, headers)
        tally.answered(status, elapsed, what)
        print(f"  {what:<38} HTTP {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=75.0, help="time spent generating inputs (about)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--tracebacks", action="store_true", help="print the first traceback of each place")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # Hypothesis warns about strategies it finds slow; irrelevant here
    database_url, drop = throwaway_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="drumbeat-fuzz-"))
    tally = Tally()
    logging.getLogger().addHandler(Unhandled(tally))
    threading.excepthook = lambda hook: tally.unhandled.append(f"thread {hook.thread}: {hook.exc_type.__name__}")
    emulator = SlackEmulator(SECRET, rate_limits=False).start()
    settings_ = settings_from_mapping({
        "SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'fuzz.db'}", "LOG_LEVEL": "CRITICAL",
    })
    drumbeat = Drumbeat(settings_)
    started = time.monotonic()
    try:
        for person in DEMO_PEOPLE:
            emulator.add_user(person.slack_id, name=person.handle, real_name=person.name, tz=person.tz)
        emulator.add_user("U0STRANGER", name="stranger", real_name="Not In The Org", tz="UTC")
        with drumbeat.services.unit_of_work() as session:
            import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        drumbeat.load_content()
        port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
        url = f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}"
        emulator.connect_bot(url)
        run_fuzz(emulator, url, tally, args.seconds)
        drumbeat.wait_for_background(timeout=30)
        dispatch_started = time.monotonic()
        report = drumbeat.dispatch_now()  # what the fuzzed commands queued (hostile feedback requests among them)
        print(f"outbox after      {report.sent} sent, {report.failed} failed, {report.retried} retried "
              f"in {time.monotonic() - dispatch_started:.1f} s")
    finally:
        drumbeat.close()
        emulator.stop()
        drop()
    fives = sum(count for status, count in tally.statuses.items() if status >= 500)
    print(f"database          {'postgresql' if database_url else 'sqlite'}; {time.monotonic() - started:.0f} s in all")
    print(f"inputs tried      {tally.tried}  (answers: {dict(sorted(tally.statuses.items()))})")
    print(f"5xx answers       {fives}  (goal 0)")
    for sample in tally.samples_5xx:
        print(f"    {sample}")
    print("refused as malformed, most common first field: " + ", ".join(
        f"{why} ({count})" for why, count in tally.refusals.most_common(6)))
    places = Counter(tally.unhandled)
    print(f"unhandled errors  {len(tally.unhandled)} at {len(places)} places  (goal 0)")
    for place, count in places.most_common(10):
        print(f"    {count:>4} x {place}")
    if args.tracebacks:
        for text in tally.tracebacks:
            print(text)
    print(f"slowest answer    {tally.slowest:.2f} s  (goal < {GOAL_SLOWEST_S:.0f} s) for {tally.slowest_input!r}")
    met = int(fives == 0) + int(not tally.unhandled) + int(tally.slowest < GOAL_SLOWEST_S)
    print(f"fuzz: {met}/3 goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
