"""Form fields that accept only what the app can store: dates inside the one range the whole
app accepts (timeutil.EARLIEST_DATE to LATEST_DATE), so year 1 or 9999 is an inline error,
never an overflow further in."""
from __future__ import annotations

from flask_babel import gettext
from wtforms import fields

from ..timeutil import RANGE_MESSAGE, date_in_range


class DateField(fields.DateField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not date_in_range(self.data):
            self.data = None
            raise ValueError(gettext(RANGE_MESSAGE))


class DateTimeLocalField(fields.DateTimeLocalField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not date_in_range(self.data.date()):
            self.data = None
            raise ValueError(gettext(RANGE_MESSAGE))
