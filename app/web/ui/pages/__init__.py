"""The web app's pages, one module per area; importing them registers their routes on `ui`."""
from app.web.ui.pages import (  # noqa: F401
    admin,
    app_users,
    auth,
    channels,
    citizens,
    dashboard,
    dashboard_manage,
    downloads,
    forms,
    pipeline,
    projects,
    submissions,
    sync,
    team,
)
