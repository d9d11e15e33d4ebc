"""The audit trail that cannot be silently edited: each ticket event sealed with an HMAC chained to
the previous event of its ticket (``chain``), the key kept outside the database (``keys``), and the
``khidma audit verify|rechain`` commands (``cli``)."""
