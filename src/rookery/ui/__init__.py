"""The web console at ``/ui``: server-rendered pages calling the same services as the API."""
