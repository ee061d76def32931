"""Signed inbound web hooks (``POST /hooks/<source>``): verify, claim once, hand a typed event to one
service."""
