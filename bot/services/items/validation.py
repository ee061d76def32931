"""Validation of a completed remediation item: every criterion ticked, a prevention measure recorded, and a
second pair of eyes; or a failed validation that sends it back with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.core.errors import UserError, about
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.deps import Deps
from bot.services.items.steps import (
    Actor,
    AfterChange,
    ItemView,
    add_evidence_entry,
    add_prevention_measures,
    apply_move,
    change,
    check_can_validate,
    event,
)
from storage.models import RemediationItem


def validate_item(
    deps: Deps,
    *,
    actor: Actor,
    item_id: str,
    passed: bool,
    ticked: Sequence[int],
    criteria_seen: int | None = None,
    prevention: Sequence[str] = (),
    evidence: str = "",
    reason: str | None = None,
    after: AfterChange | None = None,
) -> ItemView:
    """Validate a completed item, or send it back to In Progress with the reason.

    Passing needs every success criterion ticked, at least one prevention measure and a validator who is
    not the owner (four eyes; ALLOW_SELF_VALIDATION turns that off). `ticked` are indexes into the
    criteria as the validator saw them (`criteria_seen` of them); `evidence` is lines of ``kind reference
    note…``. A problem names its input (`UserError.field`: criteria, prevention, evidence, reason)."""
    with about("reason"):
        reason = rules.clean_text(reason, what="reason", required=False) or None
    with about("evidence"):
        entries = parse_evidence(evidence)

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        check_can_validate(item, actor, deps.settings)
        if criteria_seen is not None and criteria_seen != len(item.criteria):
            raise UserError(
                "The success criteria changed while you were validating; close this and start again.",
                field="criteria",
            )
        ticks = {i for i in ticked if 0 <= i < len(item.criteria)}
        if passed:
            missing = [c["text"] for i, c in enumerate(item.criteria) if i not in ticks]
            if missing:
                raise UserError(
                    f"{len(missing)} success criterion not ticked: tick every one, or fail the validation "
                    "with a reason.",
                    field="criteria",
                )
            with about("prevention"):
                new_prevention = rules.clean_list(
                    prevention,
                    what="prevention measure",
                    limit=rules.MAX_TEXT,
                    max_items=rules.MAX_PREVENTION,
                    existing=item.prevention,
                )
            if not item.prevention and not new_prevention:
                raise UserError(
                    "Record at least one prevention measure before validating.", field="prevention"
                )
        elif not reason:
            raise UserError("Say why the validation failed; the owner gets it with the item.", field="reason")
        before = [bool(c.get("done")) for c in item.criteria]
        item.criteria = [{**c, "done": i in ticks} for i, c in enumerate(item.criteria)]
        if [bool(c["done"]) for c in item.criteria] != before:
            met = ", ".join(str(i + 1) for i in sorted(ticks)) or "none"
            event(
                session,
                item,
                now,
                actor.id,
                "checklist",
                f"Success criteria met: {met} ({len(ticks)}/{len(item.criteria)})",
                {"ticked": sorted(ticks), "of": len(item.criteria)},
            )
        add_prevention_measures(session, item, now, actor, prevention)
        for kind, ref, note in entries:
            add_evidence_entry(session, item, now, actor, kind, ref, note)
        if passed:
            item.status = lc.VALIDATED
            item.validated_at, item.validated_by = now, actor.id
            item.last_progress_at = now
            event(
                session,
                item,
                now,
                actor.id,
                "validated",
                f"Validated: {len(item.criteria)}/{len(item.criteria)} success criteria, "
                f"{len(item.prevention)} prevention measure(s)",
                {"from": lc.COMPLETED, "to": lc.VALIDATED, "verb": lc.VALIDATE},
            )
            return f":white_check_mark: *{item.id}* is Validated."
        step = lc.plan_verb(item.id, item.status, lc.SEND_BACK)
        apply_move(
            session,
            item,
            now,
            actor,
            step,
            reason,
            render=deps.render.items,
            kind="validation_failed",
            headline_prefix="Validation failed",
        )
        return f"*{item.id}* failed validation and went back to In Progress."

    return change(deps, item_id, apply, after)


def parse_evidence(text: str) -> list[tuple[str, str, str | None]]:
    """Lines of ``kind reference note…`` -> evidence entries (kind, reference, note)."""
    out = []
    for line in (text or "").splitlines():
        words = line.split()
        if not words:
            continue
        if len(words) < 2:
            raise UserError(
                f"`{rules.shown(line)}`: write the kind, then the reference, e.g. commit abc123f."
            )
        kind = rules.parse_evidence_kind(words[0])
        ref = rules.clean_text(words[1], what="evidence reference", limit=rules.MAX_EVIDENCE_REF)
        out.append((kind, ref, " ".join(words[2:]) or None))
    return out
