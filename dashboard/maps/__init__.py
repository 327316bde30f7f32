"""The map explorer's parts (`/carte`, `dashboard/pages/carte.py`): the view model (`view`), the
outlines served once as a cacheable asset (`outlines`), the data table (`table`) and the page's
pieces (`parts`)."""
