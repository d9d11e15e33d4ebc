from server.process import command

raise SystemExit(command())
