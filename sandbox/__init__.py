"""The sandbox: the real bot against the in-repo Bot API server, a chat page that plays families
in a browser, and a time machine that runs the real reminder jobs day by day. Nothing leaves the
computer; see README "Sandbox"."""
