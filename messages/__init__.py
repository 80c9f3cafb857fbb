"""Drumbeat's words: content packs, template rendering and Slack Block Kit checks.

Self-contained on purpose: nothing here imports the bot, the scheduler or
storage, so content can be validated (in CI, or by a leader's upload) without
a running bot or a database.
"""
