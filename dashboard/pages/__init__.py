"""One module per page; `dashboard.app.create_app` registers their paths and callbacks."""
