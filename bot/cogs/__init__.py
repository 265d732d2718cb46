"""The bot's extensions: `faq` (slash commands and the context menu) and `auto_answer`."""
