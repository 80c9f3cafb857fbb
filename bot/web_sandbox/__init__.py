"""The sandbox as a local web page: `drumbeat sandbox --web` (add `--teams` to open on Teams).

Two worlds behind one page, each a terminal sandbox (the real bot wired to a built-in emulator, the demo
organisation on its own SQLite file): Slack's (bot.sandbox) at `/` and Teams' (bot.sandbox_teams) at `/teams/`,
with a switch between them. Pick who you are, read that person's conversation with the bot, click, type
commands, fill the forms the bot opens, and move the simulated clock. Every click reaches the bot as the
signed request Slack would send, or the JWT-signed activity Teams would, through the emulator's actor;
nothing here talks to the bot any other way.

- `world`: what both worlds share (one lock, settling after each act, notices, the log, the page's fingerprint)
- `session`: Slack's world; `teams_session`: Teams'
- `clock`: moving the simulated clock, running the time-driven jobs on the way
- `tour`: the demo's story, one button per step
- `forms`: HTML form fields to and from the values Slack sends for a modal's inputs
- `mrkdwn`: Slack's mrkdwn as HTML (everything escaped first)
- `app` (Slack's routes and Block Kit templates), `teams_app` (Teams' routes; cards drawn in the browser by
  Microsoft's vendored renderer, static/adaptivecards/), `world_routes` (the clock, the tour, the live refresh);
  `server`: uvicorn on 127.0.0.1
"""
