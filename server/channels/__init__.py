"""Inbound channels: messages that arrive by themselves and become (or continue) tickets."""
