"""The guided tour: the terminal demo's story (bot.sandbox.Sandbox.demo), one button per step.

Each step does what the demo does at that point, through the same sandbox methods (signed commands and clicks,
the outbox), then shows the person the step is about. The tour is optional: a visitor can do each step by hand
instead, or do something else entirely; a step run twice simply happens again. On Teams (`web.platform`) two
steps differ as the terminal Teams demo does: the broadcast is queued through the core (Teams has no typed
`send`; its broadcast dialog is on the page), and the rep's refused attempt is a typed `broadcast`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.demo import demo_person
from bot.sandbox import DEMO_MESSAGE

if TYPE_CHECKING:
    from bot.web_sandbox.world import World


@dataclass(frozen=True)
class Step:
    title: str
    says: str
    shows: str  # the handle of the person whose view the step ends on
    run: Callable[[World], None]
    teams_says: str = ""  # what the step says on Teams, when it is not the same

    def said(self, platform: str) -> str:
        return self.teams_says if platform == "teams" and self.teams_says else self.says


def _broadcast(web: World) -> None:
    if web.platform == "teams":
        web.sandbox.broadcast(demo_person("lena"), DEMO_MESSAGE, ("East", "West"))  # type: ignore[attr-defined]
        return
    web.sandbox.command(demo_person("lena"), f"send {DEMO_MESSAGE} to East, West")


def _deliver(web: World) -> None:
    web.sandbox.fast_forward()


def _acknowledge(web: World) -> None:
    for handle in ("aiko", "jonas", "sam", "noah"):
        web.sandbox.click_got_it(demo_person(handle))


def _summary(web: World) -> None:
    web.sandbox.command(demo_person("marco"), "summary")


def _quiz(web: World) -> None:
    web.sandbox.command(demo_person("priya"), "quiz me")


def _roles(web: World) -> None:
    web.sandbox.command(demo_person("jonas"), "broadcast" if web.platform == "teams" else f"send {DEMO_MESSAGE} to West")


STEPS: tuple[Step, ...] = (
    Step("A leader broadcasts", f"Lena types `/drumbeat send {DEMO_MESSAGE} to East, West`.", "lena", _broadcast,
         f"Lena broadcasts {DEMO_MESSAGE} to East and West (queued through the core; her broadcast dialog is "
         "one `broadcast` away)."),
    Step("Each rep hears it in their working hours",
         "The clock moves to each rep's next working hour (quiet hours and weekends wait) and the outbox delivers.",
         "aiko", _deliver),
    Step("Reps acknowledge", "Aiko, Jonas, Sam and Noah click Got it; each DM updates in place.", "aiko", _acknowledge,
         "Aiko, Jonas, Sam and Noah press Got it; each card is replaced in place."),
    Step("A manager asks how the team is doing", "Marco types `/drumbeat summary`: figures, and a chart in his DM.",
         "marco", _summary),
    Step("A rep checks what is expected", "Priya types `/drumbeat quiz me`: tap an answer to see how it is scored.",
         "priya", _quiz),
    Step("Roles are checked", "Jonas, a rep, tries to broadcast: Drumbeat says no.", "jonas", _roles,
         "Jonas, a rep, types `broadcast`: Drumbeat says no."),
)


def run_step(web: World, number: int) -> Step | None:
    """Run step `number` (1-based); None when there is no such step."""
    if not 1 <= number <= len(STEPS):
        return None
    step = STEPS[number - 1]
    with web.acting():
        print(f"\n=== Tour {number}. {step.title}", file=web.log)
        step.run(web)
    return step
