"""The web server beside the bot: the partner referral API (and, later, the staff dashboard).

Imported only when WEB_PORT is set, so a bot without it never loads aiohttp's server."""
