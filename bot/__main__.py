"""`python -m bot` is the `drumbeat` command."""

from bot.cli import main

raise SystemExit(main())
