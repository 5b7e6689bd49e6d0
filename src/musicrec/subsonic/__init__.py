"""The Subsonic API (1.16.1) with OpenSubsonic under ``/rest/``: music clients browse,
stream and play the served catalogs, and get musicrec's similar songs, sonic matches
and song paths. ``musicrec serve`` mounts it beside the REST API and the page."""
