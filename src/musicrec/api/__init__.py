"""The REST service and web page (FastAPI); imported only by ``musicrec serve``."""
