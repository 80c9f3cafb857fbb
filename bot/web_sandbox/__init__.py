"""The sandbox as a local web page: `drumbeat sandbox --web`.

The same sandbox as the terminal one (bot.sandbox: the real bot, the built-in Slack emulator, the demo
organisation on SQLite) seen through a browser on 127.0.0.1: pick who you are, read that person's DMs and Home
tab rendered from the Block Kit the bot sent, click, type slash commands, fill the modals the bot opens, and move
the simulated clock. Every click reaches the bot as the signed request Slack would send, through the emulator's
actor; nothing here talks to the bot any other way.

- `session`: the one sandbox behind the page, with a lock (the page's requests come on several threads)
- `clock`: moving the simulated clock, running the time-driven jobs on the way
- `tour`: the demo's story, one button per step
- `forms`: HTML form fields to and from the values Slack sends for a modal's inputs
- `mrkdwn`: Slack's mrkdwn as HTML (everything escaped first)
- `app`: the Starlette routes and Jinja2 templates; `server`: uvicorn on 127.0.0.1
"""
