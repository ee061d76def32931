"""The delivery queue: one worker per destination drains the outbox through that destination's sender."""
