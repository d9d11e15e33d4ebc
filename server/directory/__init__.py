"""The directory: users (one username rule for the web form and the CLI), ready replies, lookup tables.

Services that own the rules and build the administration pages' data; they use the runtime and the
store and never import the web layer (``server/web/admin_directory.py`` is their thin controller).
"""
