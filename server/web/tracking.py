"""Where the requester's view of a ticket used to live: it is now ``server/requests/track_view.py``."""

from server.requests.track_view import Entry, TimelineItem, TrackView, code_matches, entries, track_view

__all__ = ["Entry", "TimelineItem", "TrackView", "code_matches", "entries", "track_view"]
