"""`summary` in Teams: the figures as an Adaptive Card (every section the core's summary screen has, laid out
generically by the `screen` template, so a new section needs nothing here), then a second card with the
Momentum chart as an image and the CSV as a download button; `summary export` answers with the download alone.

Like Slack, the figures are answered first and the slow parts come after: the cards are posted after the
activity's 200 (bot.teams.listeners), and the chart is drawn and the CSV written only when Teams (or the
person's browser) opens their sealed links on Drumbeat's own server (bot.teams.downloads), from the same
figures. Without TEAMS_PUBLIC_URL there is no address Teams could fetch them from, and the card says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import commands, summaries
from bot.core.summary_chart import chart_alt_text, wants_chart
from bot.core.summary_export import export_filename
from bot.core.words.summary import summary_screen
from bot.services import Services
from bot.teams.cards import COMMAND, Card, notice_card, screen_card
from bot.teams.downloads import link
from bot.teams.links import CHART, CSV, LIFETIME, LinkSealer
from bot.teams.render import render_card
from messages.rich import Code, Rich
from storage.address import Address

if TYPE_CHECKING:
    from bot.teams.answers import TypedCall

NO_DOWNLOADS = Rich("Charts and CSV downloads are not set up on this Drumbeat server (its admin sets "
                    "TEAMS_PUBLIC_URL). The figures themselves are in ", Code(f"{COMMAND} summary"), ".")


class Offers:
    """Links to the chart and CSV of one summary, for the person who asked."""

    def __init__(self, services: Services) -> None:
        teams = services.settings.teams
        assert teams.public_url and teams.app_password
        self.public_url = teams.public_url
        self.sealer = LinkSealer(teams.app_password)

    def url(self, kind: str, caller: Address, request: summaries.SummaryRequest, result: summaries.Summary) -> str:
        team = result.team if isinstance(result, summaries.TeamSummary) else None
        person = None if team else _person(request)
        token = self.sealer.seal(kind=kind, caller=caller.user_id, team=team, person=person, days=result.days,
                                 taken=result.now)
        return link(self.public_url, kind, token)


def offers_for(services: Services) -> Offers | None:
    teams = services.settings.teams
    return Offers(services) if teams.public_url and teams.app_password else None


def answer(call: TypedCall, parsed: commands.Summary) -> list[Card]:
    request = parsed.request
    result = summaries.summarise(call.session, caller=call.person, request=request, now=call.services.clock(),
                                 thresholds=call.services.feedback_thresholds)
    offers = offers_for(call.services)
    if request.export:
        if offers is None:
            return [notice_card(NO_DOWNLOADS, "file")]
        return [files_card(result, offers.url(CSV, call.caller, request, result), chart_url=None)]
    chart_url = offers.url(CHART, call.caller, request, result) if offers and wants_chart(result) else None
    cards = [screen_card(summary_screen(result, command=COMMAND))]
    if offers is not None:
        cards.append(files_card(result, offers.url(CSV, call.caller, request, result), chart_url=chart_url))
    return cards


def files_card(result: summaries.Summary, csv_url: str, *, chart_url: str | None) -> Card:
    """The chart (when there is one) and the CSV download, with how long the links last."""
    hours = int(LIFETIME[CSV].total_seconds() // 3600)
    image = None
    if chart_url is not None and isinstance(result, summaries.TeamSummary):
        image = {"url": chart_url, "alt": chart_alt_text(result)}
        text: str | Rich = f"Momentum for team {result.team}, last {result.days} days."
    else:
        text = Rich("The figures you asked for, one row per figure: ", Code(export_filename(result)), ".")
    note = (f"The download link works for {hours} hour{'s' if hours != 1 else ''}"
            + (f", the chart for {LIFETIME[CHART].days} days" if image else "") + f": then ask {COMMAND} again.")
    return render_card("files", {"text": text, "image": image, "note": note,
                                 "downloads": [{"title": "Download the figures (CSV)", "url": csv_url}]})


def _person(request: summaries.SummaryRequest) -> str:
    if isinstance(request.person, Address):
        return request.person.user_id
    return "me"


HANDLERS = {commands.Summary: answer}
