"""What Drumbeat says, decided once for every platform: builders that turn the core's figures into words.

Each builder returns a `Screen` (see `screen.py`) of sections, (label, value) fields, lines of rich text and
buttons with neutral action names. Platform adapters only lay screens out with their own templates.
"""
