"""The leaders' broadcast form in a Teams dialog, on the same core as Slack's modal.

Opened from the card answering a typed `broadcast` (`task/fetch`, `dialog_id == "broadcast"`). The role is
checked when the card is shown, when the dialog opens, on Preview and on Schedule, since every one of them is
a request anybody could forge: the form lists every question and previews unreleased messages. Preview
(`broadcast_preview`) answers with the same form, its values kept and the picked message shown. Schedule
(`broadcast_send`) is checked with reads (the form's fields by bot.core.broadcast_fields, then
`broadcasts.check_draft`) and answered at once: the same form with its problems, or closed; the broadcast is
written after, once per opened form (`schedule(request=...)`), and the leader told in their chat what was
queued or why nothing was.

Adaptive Cards have no people picker that works without Graph, so people are named by email address and found
in Drumbeat's directory; a name nobody has is a field error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from sqlmodel import Session

from bot.core import broadcasts
from bot.core.broadcast_fields import BroadcastFields, draft_from_fields
from bot.core.broadcasts import DraftProblems
from bot.core.errors import DrumbeatError
from bot.core.audiences import resolve_audience
from bot.core.library import broadcast_form
from bot.core.roles import identify, require_role, visible_teams
from bot.core.words.audience import count_lines
from bot.core.words.queued import describe_queued
from bot.services import Services
from bot.teams import dialogs
from bot.teams.audience_groups import TeamsGroupReader, with_group_names
from bot.teams.broadcast_audience import audience_of, group_choices, team_choices
from bot.teams.identity import PLATFORM
from bot.teams.render import TeamsLimitError
from messages.rich import Icon, Rich
from schedules.audience_refresh import audience_group_ids
from schedules.materialise import zone
from storage.address import Address
from storage.models import Person
from storage.queries.audience_groups import stale_groups

DIALOG: Final = "broadcast"
PREVIEW: Final = "broadcast_preview"
SEND: Final = "broadcast_send"
COUNT: Final = "broadcast_count"
TITLE: Final = "New broadcast"
INPUTS: Final = ("message", "title", "body", "people", "teams", "all_reps", "groups", "group_links",
                 "post_to_channels", "exclude_people", "exclude_teams", "exclude_groups", "when", "date", "time", "kind", "weekdays",
                 "interval", "day_of_month", "cron", "end_date", "count", "local_time", "question", "question_mode")
#: Where each of the core's problem fields is shown in the form (the rest under their own input id, or `when`).
FIELDS: Final = {**{name: name for name in INPUTS}, "audience": "people", "message": "body", "key": "title",
                 "timezone": "when"}
#: How many choices each list offers, tried largest first until the form fits (a note says when some are left out).
CAPS: Final = (100, 50, 25, 10, 0)


def _form(session: Session, caller: Person, name: str, *, values: dict[str, str] | None = None,
          errors: dict[str, Any] | None = None, selected_key: str | None = None,
          audience_note: list[Rich] | None = None) -> dict[str, Any]:
    """The form; each list offers at most `cap` choices, the largest of CAPS whose card fits Teams' 28 KB (a big
    library, many teams and questions, long texts typed back and every field's error can otherwise overflow)."""
    form = broadcast_form(session, reader=caller, selected_key=selected_key)
    context = {
        "library": form.library, "teams": team_choices(session, caller), "groups": group_choices(session),
        "questions": form.questions, "audience_note": audience_note or [],
        "preview": form.preview, "preview_problem": form.preview_problem,
        "intervals": [(str(n), f"Every {n} weeks") for n in range(2, 13)],
        "form": name, "values": values or {}, "errors": errors or {}}
    return fitted(context)


def fitted(context: dict[str, Any]) -> dict[str, Any]:
    """The form dialog with the largest choice lists that fit."""
    for cap in CAPS[:-1]:
        try:
            return dialogs.form_dialog(TITLE, "broadcast_dialog", {**context, "cap": cap})
        except TeamsLimitError:
            continue
    return dialogs.form_dialog(TITLE, "broadcast_dialog", {**context, "cap": CAPS[-1]})


def _leader(session: Session, caller: Address) -> Person:
    person = identify(session, caller)
    require_role(person, broadcasts.BROADCASTERS, "schedule broadcasts")
    return person


def open_form(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    try:
        with services.unit_of_work() as session:
            return _form(session, _leader(session, caller), dialogs.new_form())
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem)


def preview(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    """The same form, its values kept, with the picked library message previewed for the leader."""
    data = dialogs.data_of(activity)
    try:
        name = dialogs.form_in(data)
        with services.unit_of_work() as session:
            return _form(session, _leader(session, caller), name, values=dialogs.typed_values(data, INPUTS),
                         selected_key=dialogs.choice_in(data, "message"))
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem)


def count(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, list[int]]:
    """*Count who it reaches*: the same form, its values kept, with the audience's reach now as the cache knows it
    (Teams waits about 5 s, so Graph is not read here); (the answer, the groups it names that are stale or never
    read: re-read after the answer, so a second Count is current)."""
    data = dialogs.data_of(activity)
    try:
        name = dialogs.form_in(data)
        with services.unit_of_work() as session:
            leader = _leader(session, caller)
            named, stale = audience_of(session, leader, data), []
            try:
                if named.errors:
                    raise DraftProblems(named.errors)
                resolved = resolve_audience(session, named.audience, load=False)
                note = count_lines(resolved.reach, platform=PLATFORM)
                stale = [group.id for group in stale_groups(session, audience_group_ids(resolved.stored),
                                                            read_before=services.clock() - services.groups.fresh_for)
                         if group.id is not None]
                if stale:
                    note.append(Rich(Icon("repeat"), f" Reading {len(stale)} of the groups from Teams now: press "
                                     "Count again in a moment for their members as they are today."))
            except DrumbeatError as problem:
                note = [Rich(Icon("warning"), " ", problem.text)]
            answer = _form(session, leader, name, values=dialogs.typed_values(data, INPUTS),
                           selected_key=dialogs.choice_in(data, "message"), errors=named.errors, audience_note=note)
        return answer, stale
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem), []


def refresh_groups(services: Services, group_ids: list[int]) -> None:
    """After a count's answer: its stale groups re-read from Graph (each stored as it is read)."""
    with services.unit_of_work() as session:
        services.groups.refresh(session, group_ids, now=services.clock())


def draft_of(session: Session, services: Services, caller: Person,
             data: dict[str, Any]) -> tuple[broadcasts.BroadcastDraft | None, dict[str, str]]:
    named = audience_of(session, caller, data)
    text, choice, many, on = dialogs.text_in, dialogs.choice_in, dialogs.choices_in, dialogs.toggled
    fields = BroadcastFields(
        message_key=choice(data, "message"), title=text(data, "title"), body=text(data, "body"),
        audience=named.audience, when=choice(data, "when") or "now", date=choice(data, "date"),
        time=choice(data, "time"), kind=choice(data, "kind"), weekdays=tuple(many(data, "weekdays")),
        interval=choice(data, "interval"), day_of_month=text(data, "day_of_month"), cron=text(data, "cron"),
        end_date=choice(data, "end_date"), count=text(data, "count"), local_time=on(data, "local_time"),
        question_key=choice(data, "question"), quiz_mode=choice(data, "question_mode"))
    today = services.clock().astimezone(zone(caller.tz)).date()
    return draft_from_fields(fields, today=today, errors=named.errors)


def check(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
    """(the answer: closed, or the form again with its problems, or a refusal; whether to write it after)."""
    def check_draft(session: Session, person: Person, data: dict[str, Any]) -> None:
        require_role(person, broadcasts.BROADCASTERS, "schedule broadcasts")
        draft, errors = draft_of(session, services, person, data)
        if draft is None:
            raise DraftProblems(errors)
        broadcasts.check_draft(session, sender=person, draft=draft, now=services.clock(), load=False)

    def again(session: Session, person: Person, data: dict[str, Any], problem: DrumbeatError) -> dict[str, Any]:
        return _form(session, person, dialogs.form_in(data), values=dialogs.typed_values(data, INPUTS),
                     selected_key=dialogs.choice_in(data, "message"),
                     errors=dialogs.field_errors(problem, FIELDS, "when"))

    return dialogs.checked(services, caller, activity, TITLE, check_draft, again)


def queue(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[Rich, str]:
    """After the answer: one broadcast per opened form, however often it is submitted, checked again as it is
    written. (what to tell the leader, its icon)."""
    data = dialogs.data_of(activity)
    try:
        request = dialogs.form_request(caller, dialogs.form_in(data))
        with services.unit_of_work() as session:
            leader = _leader(session, caller)
            draft, errors = draft_of(session, services, leader, data)
            if draft is None:
                raise DraftProblems(errors)
            if isinstance(reader := services.groups.readers.get(PLATFORM), TeamsGroupReader):
                draft = replace(draft, audience=with_group_names(reader, draft.audience))
            queued = broadcasts.schedule(session, sender=leader, draft=draft, now=services.clock(),
                                         rules=services.rules, request=request, groups=services.groups)
            tz = leader.tz
    except DrumbeatError as problem:  # found only now (the audience left, a message changed): never dropped
        return Rich("Your broadcast was not saved: ", problem.text), "warning"
    return describe_queued(queued, tz, platform=PLATFORM), "message"
