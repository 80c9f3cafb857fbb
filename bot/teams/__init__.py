"""The Microsoft Teams adapter (issue 15): the Teams SDK's App behind the `bot.platforms.Platform` seam."""
