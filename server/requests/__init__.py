"""The requester's side as services: the catalogue, applying for a service (with its "check your
answers" step), tracking a ticket, the survey and "my tickets".

Each module owns its rules and builds the data of its pages (plain records the web layer registers
as page contexts); the controllers in ``server/web`` only parse the request, call one function here and
answer with what it returns (:mod:`server.requests.results`). Nothing here imports ``server.web``.
"""
