"""The staff dashboard: the request queue, reports and campaigns in a browser, served beside
the bot (and the partner API) when WEB_PORT is set, and in the sandbox."""
