"""What the Pipeline section says: how much of the business pursued and won is on strategy, and why the rest is not.

Figures come from `bot.core.pipeline`; this module only words them. Every share is given with the numbers
behind it ("64% (USD 180,000 of 280,000)"), by value and by count, and a share under the red flag
(`DRUMBEAT_ON_STRATEGY_FLAG`) is marked so it reads as one in a notification too.
"""

from __future__ import annotations

from bot.core.people import person_ref
from bot.core.pipeline import OrgPipeline, PersonPipeline, PipelineRules, TeamPipeline
from bot.core.words.figures import percent, plural
from bot.core.words.screen import MARK_DELIBERATE, Button, Screen, Section
from messages.rich import Code, Icon, Mention, Rich, Strong
from storage.queries.pipeline import MissedRule, OffDeal, Slice

MAX_LINES = 15
HEADING = Rich(Icon("measure"), " ", Strong("Pipeline"), ": is the business we pursue and win on strategy?")
NO_RULES = Rich("No strategy is defined yet: a content pack's ", Code("strategy_rules"),
                " say what is on strategy (see the README).")
NO_DEALS = Rich("No deals in this period. ", Code("drumbeat pipeline import FILE.csv"),
                " reads a Salesforce or HubSpot export.")


def money(minor: int, currency: str) -> str:
    return f"{currency} {round(minor / 100):,}"


def share_text(part: Slice, rules: PipelineRules) -> Rich:
    """e.g. "64% by value (USD 180,000 of 280,000), 60% by count (3 of 5 deals)", flagged when under the flag."""
    if not part.deals:
        return Rich("no deals")
    by_value = (f"{percent(part.on_value, part.value)} by value ({money(part.on_value, rules.currency)} of "
                f"{money(part.value, rules.currency).split(' ', 1)[1]}), " if part.value else "")
    text = f"{by_value}{percent(part.on_count, part.deals)} by count ({part.on_count} of {plural(part.deals, 'deal')})"
    flag = Rich(" ", Icon("warning"), " ", Strong(f"under {rules.flag}%")) if rules.flagged(part) else ""
    return Rich(text, flag)


def _kinds(part: Slice, rules: PipelineRules) -> str:
    counts = part.counts
    deliberate = (f"; {part.deliberate} deliberate ({money(part.deliberate_value, rules.currency)}), each with the "
                  "rep's reason" if part.deliberate else "")
    return (f"On strategy by profile and offering {counts.get('both', 0)} · by profile only {counts.get('profile', 0)}"
            f" · by offering only {counts.get('offering', 0)} · off strategy {counts.get('neither', 0)}{deliberate}")


def _missed_lines(missed: list[MissedRule], rules: PipelineRules) -> list[str | Rich]:
    if not missed:
        return []
    return [Rich(Strong("Why the rest is off strategy"), " (the rules its deals miss, most missed first)"),
            *(Rich("• ", Code(miss.key), f" ({plural(miss.deals, 'deal')}, {money(miss.value, rules.currency)}): {miss.reason}")
              for miss in missed)]


def team_pipeline_sections(pipeline: TeamPipeline) -> list[Section]:
    rules, figures = pipeline.rules, pipeline.figures
    if not pipeline.defined:
        return [Section(rule=True, lines=(HEADING, NO_RULES))]
    if not (figures.open.deals or figures.won.deals):
        return [Section(rule=True, lines=(HEADING, NO_DEALS))]
    lines: list[str | Rich] = [
        HEADING,
        Rich(Strong("Open pipeline"), ": ", share_text(figures.open, rules)),
        _kinds(figures.open, rules),
        Rich(Strong("Won in the period"), ": ", share_text(figures.won, rules)),
    ]
    sections = [Section(rule=True, lines=tuple(lines))]
    reps: list[str | Rich] = [
        Rich("• ", Mention(person_ref(rep)), ": open ", share_text(rep.figures.open, rules), " · won ",
             share_text(rep.figures.won, rules))
        for rep in pipeline.reps[:MAX_LINES]]
    if pipeline.unnamed:
        reps.append(f"• {pipeline.unnamed} more rep(s) reporting to other managers")
    if reps:
        sections.append(Section(lines=(Rich(Strong("Per rep"), ", lowest on-strategy share first"), *reps)))
    missed = _missed_lines(pipeline.missed, rules)
    if missed:
        sections.append(Section(lines=tuple(missed)))
    return sections


def _off_deal_line(deal: OffDeal, rules: PipelineRules) -> Rich:
    return Rich("• ", Strong(deal.name or deal.record_id), f" ({deal.account or 'no account'}, "
                f"{money(deal.value, rules.currency)}, ", Code(deal.record_id), "): misses ",
                Rich.join(", ", (Code(key) for key in deal.missed)),
                f"; deliberate: {deal.deliberate_reason}" if deal.deliberate_reason else "")


def _off_deal_sections(pipeline: PersonPipeline) -> list[Section]:
    """The largest open off-strategy deals; for the rep and their manager, each with a button to mark it
    deliberate (or change the reason), the deal's id its value (a claim, checked on click)."""
    if not pipeline.off_deals:
        return []
    heading = Rich(Strong("Largest open off-strategy deals"))
    lines = [_off_deal_line(deal, pipeline.rules) for deal in pipeline.off_deals]
    if not pipeline.can_mark:
        return [Section(lines=(heading, *lines))]
    return [Section(lines=(heading,)), *(
        Section(lines=(line,), name=f"deal_{deal.deal_id}", buttons=(Button(
            "Change the reason" if deal.deliberate_reason else "Mark deliberate", MARK_DELIBERATE,
            str(deal.deal_id)),))
        for deal, line in zip(pipeline.off_deals, lines, strict=True))]


def person_pipeline_sections(pipeline: PersonPipeline) -> list[Section]:
    rules, figures = pipeline.rules, pipeline.figures
    if not pipeline.defined:
        return [Section(lines=(Rich(Strong("Pipeline")), NO_RULES))]
    if not (figures.open.deals or figures.won.deals):
        return [Section(lines=(Rich(Strong("Pipeline")), NO_DEALS))]
    lines: list[str | Rich] = [
        Rich(Strong("Pipeline"), ": how much of your business is on strategy"),
        Rich("Open: ", share_text(figures.open, rules)), _kinds(figures.open, rules),
        Rich("Won in the period: ", share_text(figures.won, rules)),
    ]
    sections = [Section(lines=tuple(lines)), *_off_deal_sections(pipeline)]
    missed = _missed_lines(pipeline.missed, rules)
    if missed:
        sections.append(Section(lines=tuple(missed)))
    return sections


def org_pipeline_screen(org: OrgPipeline, *, command: str) -> Screen:
    rules = org.rules
    if not org.defined:
        body = [Section(lines=(HEADING, NO_RULES))]
    else:
        teams: list[str | Rich] = [Rich("• ", Strong(name), ": open ", share_text(figures.open, rules), " · won ",
                                        share_text(figures.won, rules)) for name, figures in org.teams[:MAX_LINES]]
        body = [Section(lines=(HEADING, Rich(Strong("Organisation"), ": open ", share_text(org.total.open, rules),
                                             " · won ", share_text(org.total.won, rules)),
                               _kinds(org.total.open, rules))),
                Section(lines=(Rich(Strong("By team")), *(teams or [NO_DEALS])))]
    footer = Section(small=True, lines=(Rich(f"Since {org.since:%Y-%m-%d %H:%M} UTC. ",
                                             Code(f"{command} summary pipeline TEAM"), " shows a team's reps."),))
    return Screen(title=f"Pipeline · organisation · last {org.days} days",
                  summary=f"Drumbeat pipeline for the organisation, last {org.days} days", sections=(*body, footer))
