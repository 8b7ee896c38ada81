"""Anniversary posts, in one place: which events a date marks and when a server's post is due (`rules`),
the ledger that makes each post happen once (`ledger`), the scheduler that claims and sends them
(`scheduler`), and delivery through a Discord webhook (`webhook`). Posting through the gateway bot is the
Discord layer's (`discord_ui/cogs/anniversaries.py`); the `anniversaries post` command of the CLI uses the
same ledger for cron."""
