"""SQL text for names and values that come from producers' files and the catalogue."""


def quote(identifier: str) -> str:
    """A column or table name, quoted: `P18_POP`, `Code Commune`, `nb "sites"`."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string constant: `'Electricité'`, `'L''Île'`."""
    return "'" + value.replace("'", "''") + "'"
