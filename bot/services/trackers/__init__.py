"""Two-way sync of remediation items with GitHub Issues and Jira: what goes out (`outbound`), what comes in
(`inbound`), and the use cases of the Slack commands (`links`)."""
