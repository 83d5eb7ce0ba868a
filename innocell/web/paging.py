"""Pagination shared by every list page, in the shape the `pager` macro reads."""
from __future__ import annotations

import math

from flask import current_app, request


class Page:
    """One page of a list. `Page(items_of_this_page, page, per_page, total)` when the query
    already fetched only this page; `Page.of(all_items, page, per_page)` to slice a list."""

    def __init__(self, items, page: int, per_page: int, total: int):
        self.per_page, self.total = per_page, total
        self.pages = max(1, math.ceil(total / per_page)) if per_page else 1
        self.page = min(max(1, page), self.pages)
        self.items = list(items)
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1

    @classmethod
    def of(cls, items, page: int, per_page: int) -> "Page":
        items = list(items)
        pages = max(1, math.ceil(len(items) / per_page))
        page = min(max(1, page), pages)
        return cls(items[(page - 1) * per_page:page * per_page], page, per_page, len(items))


MAX_PAGE = 100_000


def page_number(arg: str = "page") -> int:
    """The page asked for in the query string; 1 when missing or not a positive number, and
    never beyond MAX_PAGE (an offset the database could not take)."""
    try:
        return min(max(1, int(request.args.get(arg, 1))), MAX_PAGE)
    except ValueError:
        return 1


def page_size() -> int:
    return int(current_app.config.get("PAGE_SIZE", 25))
