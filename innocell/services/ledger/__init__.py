"""The charges ledger (issue 18): charge lines computed from the same functions the reports
use, statements, payments and the bank import, the accounting journal, and the reconciliation
of charges with the reports.

- dues.py        what is due per source for a month (rent per lease, fees per booking,
                 late-cancellation fees), exact, from the report code (`allocation.usage`)
- charges.py     the charge run: one line per source, adjustments for changes, frozen months
- statements.py  a person's or a company's month: opening, charges, adjustments, payments, closing
- payments.py    payments by hand, the bank CSV import and its review, overdue balances
- journal.py     the month as an accounting journal with account codes per charge kind
- reconcile.py   charges against the occupancy, utilisation and revenue reports
"""
