"""`python -m bot demo`: one week of leadbot, played on a simulated clock, without real Slack.

The real app (the same factory, listeners, outbox sender and digests) runs against a local
stand-in of the Slack Web API; people act through signed requests shaped like Slack's.
Everything lives in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pytest_httpserver import HTTPServer
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.app import create_app
from bot.digest.views import as_text
from bot.outbox.sender import Sender
from bot.runtime.deps import Deps
from bot.settings import Settings
from bot.setup.importer import run_import
from bot.standin.requests import SlackRequests, select_value, text_values
from bot.standin.serve import InlineExecutor, LoopbackServer
from bot.standin.slack import FakeSlack
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Checkin

WORKSPACE = "TDEMO0001"
SECRET = "demo-signing-secret"
PEOPLE = {  # user id: (name, zone)
    "UMARIA": ("Maria Manager", "Europe/Berlin"),
    "UCLEO": ("Cleo Chief", "Europe/Berlin"),
    "UANA": ("Ana Alves", "Europe/Lisbon"),
    "UBEN": ("Ben Brandt", "Europe/Berlin"),
    "UCEM": ("Cem Celik", "Europe/Istanbul"),
    "UDANA": ("Dana Dorn", "Europe/Berlin"),
    "UELI": ("Eli Eng", "Europe/Berlin"),
    "UFINN": ("Finn Falk", "Europe/Helsinki"),
    "UGIA": ("Gia Gomez", "Europe/Madrid"),
}
# Gia is on holiday all week, and says so in her Slack status: leadbot leaves her be.
AWAY = {"UGIA": {"status_text": "Vacation", "status_emoji": ":palm_tree:", "status_expiration": 0}}
ORG = f"""\
workspace: {WORKSPACE}
timezone: Europe/Berlin
admins: [UCLEO]
leaders: [UCLEO]
leadership_channel: C0LEADERS
objectives:
  - {{key: eu-launch, title: Launch in the EU, description: Live in three EU markets by Q3}}
  - {{key: retention, title: Customers stay, description: Churn under 2% a month}}
  - {{key: hiring, title: Hire well, description: Five engineers who raise the bar}}
teams:
  - key: platform
    name: Platform
    manager: UMARIA
    members: [UANA, UBEN, UCEM, UDANA, UELI, UFINN, UGIA]
    # Platform's own check-in: leadbot's three questions and one of the team's.
    questions:
      - {{key: moved, lens: work, text: "What moved forward this week?", kind: long_text}}
      - {{key: blocked, lens: work, text: "What is blocked or slowing you down?", kind: long_text}}
      - key: customer
        lens: work
        text: "Which customer did you hear from, and what did they say?"
        kind: short_text
      - {{key: learned, lens: self, text: "One thing you learned", kind: long_text}}
schedule:
  checkin: {{day: fri, time: "14:00"}}
  reminder_after: 4h
  strategy: {{every_weeks: 4, day: tue, time: "10:00"}}
  digest: {{day: mon, time: "10:00"}}
"""
CODE = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}")


class SimClock:
    """The demo's clock: it moves only when the story says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Demo:
    """The week's cast and the tools to act: the app, the stand-in Slack, the clock."""

    def __init__(self, folder: Path, out: TextIO) -> None:
        self.out = out
        self.http = HTTPServer(host="127.0.0.1", port=0)
        self.http.start()
        self.slack = FakeSlack(self.http, team_id=WORKSPACE)
        for user_id, (name, zone) in PEOPLE.items():
            user = self.slack.add_user(user_id, tz=zone, real_name=name)
            user["profile"].update(AWAY.get(user_id, {}))
        self.clock = SimClock(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
        settings = Settings(
            bot_token="xoxb-demo",
            signing_secret=SECRET,
            slack_api_url=self.slack.url,
            database_url=f"sqlite:///{folder / 'leadbot.db'}",
        )
        self.engine = make_engine(settings.database_url)
        upgrade(self.engine)
        self.app = create_app(
            Deps(settings, self.engine, self.clock), listener_executor=InlineExecutor()
        )
        self.server = LoopbackServer(self.app)
        self.requests = SlackRequests(
            self.server.url, team_id=WORKSPACE, secret=SECRET, response_url=self.slack.response_url
        )
        self.sender = Sender(self.engine, lambda _workspace: self.app.client, self.clock)
        self.seen = 0

    def close(self) -> None:
        self.server.stop()
        self.http.stop()
        self.engine.dispose()

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def at(self, when: str, what: str) -> None:
        self.clock.now = datetime.fromisoformat(when).astimezone(UTC)
        self.say(f"\n== {self.clock.now:%a %d %b %H:%M} UTC — {what}")

    def tick(self) -> None:
        """The scheduler wakes the outbox sender; show what Slack received."""
        self.sender.drain()
        for call in self.slack.of("chat.postMessage")[self.seen :]:
            name = PEOPLE.get(call.params["channel"], (call.params["channel"],))[0]
            first = (call.params.get("text") or "").splitlines()[0][:90]
            self.say(f"   leadbot → {name}: {first}")
        self.seen = len(self.slack.of("chat.postMessage"))

    def buttons(self, channel: str, action_id: str) -> list[str]:
        """The values of the buttons with `action_id` in what leadbot sent to `channel`."""
        return [
            element["value"]
            for call in self.slack.of("chat.postMessage")
            if call.params["channel"] == channel
            for block in call.params.get("blocks") or []
            for element in [block.get("accessory") or {}, *block.get("elements", [])]
            if element.get("action_id") == action_id
        ]

    def tell_dms(self, users: list[str]) -> None:
        """Show the DMs leadbot sent these people since the last tick."""
        for call in self.slack.of("chat.postMessage")[self.seen :]:
            if call.params["channel"] in users:
                name = PEOPLE[call.params["channel"]][0]
                text = str(call.params.get("text", "")).replace("\n>", " — ").replace("\n", " ")
                self.say(f"   leadbot → {name}: {text[:240]}")
        self.seen = len(self.slack.of("chat.postMessage"))

    def opened(self, callback_id: str) -> dict[str, Any]:
        """The modal the last click opened (the story stops if it did not open)."""
        view = self.slack.of("views.open")[-1].params["view"]
        if view.get("callback_id") != callback_id:
            raise RuntimeError(f"expected the {callback_id} modal to open")
        return view

    def check_in(
        self,
        user: str,
        week: str,
        *,
        moved: str,
        energy: str,
        blocked: str = "",
        learned: str = "",
        helped: list[str] | None = None,
        objective: str | None = None,
        customer: str = "",
    ) -> None:
        self.requests.action("checkin_open", week, user=user)
        values = {
            **text_values(moved=moved, blocked=blocked, learned=learned, customer=customer),
            **select_value("energy", energy),
            **(select_value("objective", objective) if objective else {}),
        }
        values["helped_users"] = {
            "value": {"type": "multi_users_select", "selected_users": helped or []}
        }
        self.requests.submit(self.opened("checkin_modal"), values, user=user)
        self.say(f"   {PEOPLE[user][0]} checks in: “{moved}”")

    def reflect(self, user: str, objective: str, how: str, progress: str) -> None:
        self.requests.action("strategy_open", "reflect", user=user)
        options = [{"value": objective, "text": {"type": "plain_text", "text": objective}}]
        values = {
            "objectives": {"value": {"type": "multi_static_select", "selected_options": options}},
            **text_values(how=how, progress=progress),
        }
        self.requests.submit(self.opened("strategy_modal"), values, user=user)
        self.say(f"   {PEOPLE[user][0]} reflects on {objective}: “{progress}”")

    def raise_concern(self, user: str, text: str) -> str:
        self.requests.command("/concern", user=user)
        values = {
            **select_value("topic", "work"),
            **select_value("audience", "manager"),
            **text_values(text=text),
        }
        answer = self.requests.submit(self.opened("concern_compose"), values, user=user).json()
        if answer["view"].get("submit", {}).get("text") == "Send anyway":
            answer = self.requests.submit(answer["view"], values, user=user).json()
        code = CODE.search(json.dumps(answer["view"]))
        assert code is not None, "the receipt always shows a code"
        receipt = " ".join(
            b["text"]["text"] for b in answer["view"]["blocks"][1:3] if b.get("type") == "section"
        )
        self.say(f"   someone raises a concern; the modal alone shows the code {code.group()}")
        self.say(f"   receipt: {receipt[:200]}")
        return code.group()

    def digests(self) -> None:
        for call in self.slack.of("chat.postMessage"):
            if "leadership" in (call.params.get("text") or "").lower():
                name = PEOPLE.get(call.params["channel"], (f"#{call.params['channel']}",))[0]
                self.say(f"\n---------- the digest as {name} reads it ----------")
                self.say(as_text(call.params["blocks"]).rstrip())

    def charts(self, folder: Path | None) -> None:
        """The charts shared after the digests: where they went, their alt text, and with
        `--charts DIR`, the files themselves."""
        self.say("\n---------- the charts shared after the digests ----------")
        for shared in self.slack.shared():
            channel = str(shared["channel"])
            user = "U" + channel[1:] if channel.startswith("D") else channel
            name = PEOPLE.get(user, (f"#{channel}",))[0]
            self.say(f"   {name}: {shared['filename']} — “{shared['alt']}”")
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{name.lstrip('#').split()[0].lower()}-{shared['filename']}"
                path.write_bytes(shared["content"])
                self.say(f"      written to {path}")


def play(demo: Demo, charts: Path | None = None) -> None:
    """One week, Monday to Monday."""
    demo.at("2026-11-30T11:00:00+00:00", "an admin imports the org file")
    org = Path(demo.engine.url.database or ".").parent / "org.yml"
    org.write_text(ORG, encoding="utf-8")
    with Session(demo.engine) as session:
        run_import(
            org,
            yes=False,
            session=session,
            now=demo.clock(),
            out=demo.out,
            client=WebClient(token="xoxb-demo", base_url=demo.slack.url),
        )

    demo.at("2026-12-01T09:00:00+00:00", "Tuesday 10:00 in Berlin: the strategy reflection")
    demo.tick()
    demo.reflect(
        "UANA",
        "eu-launch",
        "I build the payment rails the launch needs",
        "Portugal taking real payments by March",
    )
    demo.reflect(
        "UMARIA",
        "eu-launch",
        "I keep the team focused on the first market",
        "One market live, two in test",
    )

    demo.at("2026-12-02T10:00:00+00:00", "Wednesday: a concern, anonymously")
    code = demo.raise_concern(
        "UBEN",
        "Our planning meetings run long and nothing gets decided; we keep re-arguing priorities.",
    )

    demo.at("2026-12-04T14:00:00+00:00", "Friday afternoon: 14:00 in each person's own zone")
    demo.tick()
    demo.check_in(
        "UANA",
        "2026-W49",
        moved="Card payments work end to end in staging",
        blocked="Waiting on the legal review of the terms",
        energy="4",
        helped=["UBEN"],
        learned="Ask legal early",
        objective="eu-launch",
        customer="Lisbon Bakery: they won't pay by card without MB Way",
    )
    demo.check_in(
        "UBEN", "2026-W49", moved="Cut build time in half", energy="5", objective="eu-launch"
    )
    demo.requests.action("checkin_skip", "2026-W49", user="UCEM")
    demo.say("   Cem skips this week")
    demo.requests.action("checkin_later", "2026-W49", user="UDANA")
    demo.say("   Dana: remind me later")
    demo.check_in(
        "UELI",
        "2026-W49",
        moved="Onboarded to the on-call rota",
        energy="2",
        blocked="Too many meetings to focus",
    )

    demo.at("2026-12-07T08:00:00+00:00", "Monday 09:00: reminders (Friday evening waited)")
    demo.tick()
    demo.check_in("UDANA", "2026-W49", moved="Drafted the hiring scorecard", energy="3")
    demo.check_in(
        "UFINN",
        "2026-W49",
        moved="Paired with Ana on refunds",
        energy="4",
        helped=["UANA"],
        objective="retention",
    )

    demo.at("2026-12-07T09:00:00+00:00", "Monday 10:00 in Berlin: the week closes, digests go")
    demo.tick()
    demo.digests()
    demo.charts(charts)

    demo.at("2026-12-07T11:00:00+00:00", "Maria answers the concern from her digest")
    [item] = [
        b
        for call in demo.slack.of("chat.postMessage")
        if call.params["channel"] == "UMARIA"
        for b in call.params["blocks"]
        if b.get("block_id", "").startswith("concern:")
    ]
    concern_id = item["block_id"].split(":")[1]
    demo.requests.action("concern_reply", concern_id, user="UMARIA")
    demo.requests.submit(
        demo.opened("concern_reply_modal"),
        text_values(
            reply="Thank you. From next week each planning meeting ends with a written decision."
        ),
        user="UMARIA",
    )
    demo.say("   Maria replies")

    demo.at("2026-12-07T11:30:00+00:00", "Maria raises Ana's blocker to leadership")
    with Session(demo.engine) as session:  # the button under Ana's blocker
        [raise_ref] = [
            ref
            for ref in demo.buttons("UMARIA", "digest_raise")
            if session.exec(select(Checkin.user_id).where(Checkin.ref == ref)).one() == "UANA"
        ]
    demo.requests.action("digest_raise", raise_ref, user="UMARIA")
    modal = demo.opened("digest_raise_modal")
    fields = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    demo.requests.submit(
        modal,
        {
            **text_values(note="Legal has had it for three weeks; only they can sign."),
            "objective": {
                "value": {
                    "type": "static_select",
                    "selected_option": fields["objective"]["initial_option"],
                }
            },
            "tell": {
                "value": {
                    "type": "checkboxes",
                    "selected_options": fields["tell"]["initial_options"],
                }
            },
        },
        user="UMARIA",
    )
    demo.say("   Maria raises it, with a note; Ana is told")
    demo.tell_dms(["UANA"])

    demo.at("2026-12-07T11:45:00+00:00", "Cleo, a leader, answers it from App Home")
    demo.requests.event(
        {"type": "app_home_opened", "user": "UCLEO", "tab": "home", "event_ts": "1.1"}
    )
    home = demo.slack.of("views.publish")[-1].params["view"]
    [answer_ref] = [
        b["accessory"]["value"]
        for b in home["blocks"]
        if b.get("accessory", {}).get("action_id") == "raised_answer"
    ]
    demo.requests.action("raised_answer", answer_ref, user="UCLEO")
    demo.requests.submit(
        demo.opened("raised_answer_modal"),
        {
            "status": {"value": {"type": "radio_buttons", "selected_option": {"value": "on_it"}}},
            **text_values(answer="I'm meeting legal's VP tomorrow; the terms go first."),
        },
        user="UCLEO",
    )
    demo.say("   Cleo answers: on it")
    demo.tell_dms(["UMARIA", "UANA"])

    demo.at("2026-12-07T12:00:00+00:00", "the writer checks with their private code")
    demo.requests.command("/concern", f"status {code}", user="UBEN")
    thread = json.dumps(demo.slack.of("views.open")[-1].params["view"], ensure_ascii=False)
    answer = re.search(r"written decision", thread)
    demo.say(
        "   the writer reads: “…each planning meeting ends with a written decision.”"
        if answer
        else "   (no answer yet)"
    )


def run_demo(out: TextIO, charts: Path | None = None) -> int:
    """Play the week in a temporary folder and print what happened, digests in full."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the stand-in's access log
    with tempfile.TemporaryDirectory(prefix="leadbot-demo-") as folder:
        demo = Demo(Path(folder), out)
        try:
            play(demo, charts)
        finally:
            demo.close()
    if demo.slack.refusals:  # the stand-in is as strict as Slack: say what Slack would refuse
        out.write("\nSlack would have refused:\n" + "\n".join(demo.slack.refusals) + "\n")
        return 1
    out.write(
        "\nThat was one week of leadbot. Nothing touched real Slack; the demo's files are gone.\n"
    )
    return 0
