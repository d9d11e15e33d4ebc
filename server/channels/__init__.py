"""Inbound channels that arrive by themselves (issue 12): the integrations' API keys (``keys``), the
Tawasul and Itqan intake (``intake``), inbound e-mail (``mail``: one service for the mail gateway's
RFC 822 POST and the IMAP poll of ``imap``)."""
