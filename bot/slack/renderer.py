"""The Slack layer's `Renderer`: the Block Kit builders (`bot.slack.blocks`) that draw what services queue.

The composition root puts it in `Deps.render`; services reach it there and never import this layer.
"""

from __future__ import annotations

from bot.services.rendering import Renderer
from bot.slack.blocks import alerts, digest, extraction, report
from bot.slack.blocks.incidents import messages as incidents
from bot.slack.blocks.items import messages as items


def slack_renderer() -> Renderer:
    return Renderer(
        alerts=alerts,
        digest=digest,
        report=report,
        items=items,
        incidents=incidents,
        extraction=extraction,
    )
