"""The territory portrait's parts (`/territoire/<level>/<code>`, `dashboard/pages/territoire.py`):
the view model read from the database (`view`), the tables of indicators per finality (`table`)
and the page's other sections (`sections`)."""
