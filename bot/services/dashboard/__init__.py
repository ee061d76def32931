"""The web dashboard's use cases: sign-in links and sessions (`access`), and each page's read-only unit of
work (`pages`). Nothing here calls Slack while a page is drawn."""
