from server.entry import command

raise SystemExit(command())
