"""The REST service and the web page it serves: FastAPI over the one Recommender.

Every endpoint calls the same Python API as the command line; the model is loaded once
at start-up and shared read-only. Errors are JSON with a clear message: 404 for an
unknown track, 422 for invalid input; a bad request never yields a 500 or a trace.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import musicrec
from musicrec import export
from musicrec.api.guards import Guards
from musicrec.api.schemas import (
    CatalogOut,
    ErrorOut,
    ExportIn,
    FiltersIn,
    HealthOut,
    MapCompactOut,
    MapOut,
    MapRowsIn,
    MapRowsOut,
    PathIn,
    PlaylistIn,
    RadioIn,
    RadioNextIn,
    RadioOut,
    RecommendationOut,
    RecommendIn,
    SearchHitOut,
    TrackOut,
)
from musicrec.api.song_map import SongMap
from musicrec.errors import (
    InvalidArgumentError,
    MusicrecError,
    UnknownGenreError,
    UnknownTrackError,
)
from musicrec.recommend.filters import Filters
from musicrec.recommend.radio import Radio
from musicrec.recommend.recommender import Recommender
from musicrec.recommend.request import LIMITS, RecommendRequest
from musicrec.recommend.seeds import Seed

ERRORS = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
STATIC = resources.files("musicrec.api") / "static"


def _error(status: int, message: str, exc: Exception | None = None, **extra) -> JSONResponse:
    notices = list(getattr(exc, "notices", []) or [])
    if notices:
        extra["notices"] = notices
    return JSONResponse(status_code=status, content={"error": message, **extra})


def _seed(item) -> Seed:
    return Seed(item) if isinstance(item, str) else Seed(item.query, item.weight)


def _filters(given: FiltersIn | None) -> Filters:
    if given is None:
        return Filters()

    def pair(r):
        return None if r is None else (r.min, r.max)

    return Filters(
        year=pair(given.year), popularity=pair(given.popularity),
        duration_ms=pair(given.duration_ms), explicit=given.explicit,
        genres=list(given.genres), exclude_genres=list(given.exclude_genres),
        exclude_spoken=given.exclude_spoken,
        tags=list(given.tags), exclude_tags=list(given.exclude_tags),
    )


def _recommendation(result) -> dict:
    def seed(s):
        return {"query": s.seed.query, "weight": s.seed.weight, "track_id": s.track_id,
                "label": s.label, "how": s.how}

    return {
        "seeds": [seed(s) for s in result.seeds],
        "negatives": [seed(s) for s in result.negatives],
        "results": result.to_records(),
        "notices": list(result.notices),
    }


def create_app(rec: Recommender, others: dict[str, Recommender] | None = None, *,
               cache_dir: Path | None = None, subsonic: bool = True) -> FastAPI:
    """The FastAPI app serving ``rec``; each of ``others`` (a scanned library, say) is
    served whole under ``/catalogs/NAME/`` (its page, API and docs), and ``/catalogs``
    lists them all, so the page can switch between catalogs. With ``subsonic``, the
    Subsonic API under ``/rest/`` serves them all too, one music folder each (plays and
    playlists kept in ``cache_dir``)."""
    from fastapi_offline import FastAPIOffline  # the docs' scripts are served from here

    app = FastAPIOffline(
        favicon_url="/favicon.svg",
        title="musicrec",
        version=musicrec.__version__,
        description="Songs that sound like the seeds you give: search, recommend, explore "
        "the map, export playlists. Every endpoint calls the same Recommender as the "
        "command line.",
    )
    app.add_middleware(GZipMiddleware, minimum_size=4096)
    app.add_middleware(Guards)
    catalog = rec.catalog
    song_map = SongMap(rec)
    clusters = rec.model.clusters
    cluster_of = None if clusters is None else clusters.songs.labels.tolist()
    rec.recommend(catalog.column("track_id")[0], k=1)  # warm the lazy lookups once

    # ------------------------------------------------------------ errors
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
             "problem": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{d['field'] or 'body'}: {d['problem']}" for d in details[:5])
        return _error(422, f"invalid request: {summary}", details=details)

    @app.exception_handler(UnknownTrackError)
    async def unknown_track(request: Request, exc: UnknownTrackError):
        return _error(404, str(exc).split(". Closest matches:")[0], exc,
                      candidates=exc.candidates)

    @app.exception_handler(UnknownGenreError)
    async def unknown_genre(request: Request, exc: UnknownGenreError):
        return _error(422, str(exc), exc)

    @app.exception_handler(InvalidArgumentError)
    async def invalid_argument(request: Request, exc: InvalidArgumentError):
        return _error(422, str(exc), exc)

    @app.exception_handler(MusicrecError)
    async def other_error(request: Request, exc: MusicrecError):
        return _error(400, str(exc), exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = "not found" if exc.status_code == 404 else str(exc.detail)
        return _error(exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):  # never shows a trace
        return _error(500, "internal error; the server log has the details")

    # ------------------------------------------------------------ endpoints
    @app.head("/health", include_in_schema=False)
    @app.get("/health", response_model=HealthOut, tags=["service"])
    def health() -> dict:
        """Whether the service is up, and what it serves."""
        model = rec.model
        name = f"{model.manifest.get('dataset', '')} ({model.kind or 'model'})"
        return {"status": "ok", "tracks": len(catalog), "model": name,
                "features": list(rec.space.features_), "genres": catalog.genre_names,
                "tags": catalog.tag_names,
                "explicit_known": bool(catalog.tracks["explicit"].notna().any())}

    @app.get("/search", response_model=list[SearchHitOut], responses=ERRORS, tags=["tracks"])
    def search(
        q: Annotated[str | None, Query(min_length=1, max_length=200,
                                       description="title or artist")] = None,
        tag: Annotated[list[str], Query(max_length=20, description=(
            "only tracks with one of these tags; without q, every track with them"))] = [],  # noqa: B006
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> list[dict]:
        """Tracks whose title or artist fit ``q``, or that carry a ``tag``, best first."""
        if not q and not tag:
            raise InvalidArgumentError("give q (a title or artist) or tag")
        if any(len(t) > 200 for t in tag):
            raise InvalidArgumentError("a tag is at most 200 characters")
        hits = rec.search(q, limit, tags=list(tag) or None)
        rows = [catalog.index_of(t) for t in hits["track_id"]]
        return [_track(catalog, row, cluster_of) | {"match": float(m)}
                for row, m in zip(rows, hits["match"], strict=True) if row is not None]

    @app.get("/tracks/{track_id}", response_model=TrackOut, responses=ERRORS, tags=["tracks"])
    def track(track_id: Annotated[str, PathParam(max_length=200)]) -> dict:
        """One catalog track."""
        row = catalog.index_of(track_id)
        if row is None:
            raise UnknownTrackError(track_id, reason=f"track {track_id} is not in the catalog")
        return _track(catalog, row, cluster_of)

    @app.get("/tracks/{track_id}/similar", response_model=RecommendationOut,
             responses=ERRORS, tags=["recommend"])
    async def similar(
        track_id: Annotated[str, PathParam(max_length=200)],
        k: Annotated[int, Query(ge=LIMITS["k"][0], le=LIMITS["k"][1])] = 10,
    ) -> dict:
        """Tracks similar to one catalog track."""
        if catalog.index_of(track_id) is None:
            raise UnknownTrackError(track_id, reason=f"track {track_id} is not in the catalog")
        return _recommendation(rec.similar(track_id, k))

    @app.post("/recommend", response_model=RecommendationOut, responses=ERRORS,
              tags=["recommend"])
    async def recommend(body: RecommendIn) -> dict:
        """Tracks like the seeds (and unlike the negatives), filtered, ranked, explained."""
        return _recommendation(rec.recommend(RecommendRequest(
            [_seed(s) for s in body.seeds], [_seed(s) for s in body.negatives],
            _filters(body.filters), body.k, body.artist_cap, body.diversity,
            body.same_cluster,
        )))

    @app.post("/path", response_model=RecommendationOut, responses=ERRORS, tags=["recommend"])
    async def path(body: PathIn) -> dict:
        """A path of songs from ``start`` to ``end`` in ``steps`` small steps, both ends
        included; every step a real track passing the filters, no song twice, the artist
        cap kept. A result's score is its cosine similarity to the track before it."""
        return _recommendation(rec.path(body.start, body.end, body.steps,
                                        filters=_filters(body.filters),
                                        artist_cap=body.artist_cap))

    radio = Radio(rec)

    @app.post("/radio", response_model=RadioOut, responses=ERRORS, tags=["recommend"])
    async def start_radio(body: RadioIn) -> dict:
        """A radio station from the seeds: its id and its first tracks. Then ask
        ``/radio/{station}/next`` for more, saying whether the last track was liked or
        skipped: likes pull the station towards them, skips push it away, nothing repeats."""
        station, first = radio.start([_seed(s) for s in body.seeds], n=body.n,
                                     filters=_filters(body.filters),
                                     artist_cap=body.artist_cap)
        return _recommendation(first) | {"station": station}

    @app.post("/radio/{station}/next", response_model=RadioOut, responses=ERRORS,
              tags=["recommend"])
    async def radio_next(station: Annotated[str, PathParam(max_length=64)],
                         body: RadioNextIn) -> dict:
        """The station's next tracks, after the feedback on the track played last."""
        return _recommendation(radio.next(station, body.feedback, body.n)) | {
            "station": station}

    @app.post("/recommend/playlist", response_model=RecommendationOut, responses=ERRORS,
              tags=["recommend"])
    async def extend_playlist(body: PlaylistIn) -> dict:
        """Tracks to add to a playlist you have (its file's text): its tracks found in the
        catalog are the seeds, none of them comes back, the notices say which were not
        found."""
        from musicrec.playlists import parse_playlist

        entries = parse_playlist(body.text, body.name, body.format)
        return _recommendation(rec.extend_playlist(
            entries, k=body.k, name=body.name, negatives=[_seed(s) for s in body.negatives],
            filters=_filters(body.filters), artist_cap=body.artist_cap,
            diversity=body.diversity, same_cluster=body.same_cluster))

    @app.get("/map", response_model=MapOut, tags=["explore"])
    def map_() -> dict:
        """Every track on a 2-D map with its song cluster."""
        return song_map.full()

    @app.get("/map/compact", response_model=MapCompactOut, tags=["explore"])
    def map_compact() -> dict:
        """The same map in compact form (quantised coordinates, no track ids), as the web
        page loads it; ``/map/rows`` gives the rows of chosen tracks."""
        return song_map.compact()

    @app.post("/map/rows", response_model=MapRowsOut, responses=ERRORS, tags=["explore"])
    def map_rows(body: MapRowsIn) -> dict:
        """Each track's row in the compact map (null for a track not in the catalog)."""
        return {"rows": song_map.rows(body.track_ids)}

    @app.post("/export", responses={200: {"content": {t: {} for t in export.MEDIA_TYPES.values()}},
                                    **ERRORS}, tags=["export"])
    def export_playlist(
        body: ExportIn,
        format: Annotated[str, Query(pattern="^(m3u8|jspf|csv)$")] = "m3u8",  # noqa: A002
    ) -> Response:
        """The tracks as a playlist file: M3U8, JSPF or CSV."""
        text = export.render(catalog, body.track_ids, format, body.title)
        name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in body.title)[:60]
        return Response(text, media_type=export.MEDIA_TYPES[format], headers={
            "Content-Disposition": f'attachment; filename="{name or "musicrec"}.{format}"'})

    @app.get("/catalogs", response_model=list[CatalogOut], tags=["service"])
    def catalogs() -> list[dict]:
        """The catalogs this service serves: this one at ``/``, others under
        ``/catalogs/NAME/`` (the page switches between them)."""
        return [_catalog_entry(rec, "/", others is not None),
                *(_catalog_entry(other, f"/catalogs/{name}/", False)
                  for name, other in (others or {}).items())]

    for name, other in (others or {}).items():
        if not name or not all(c.isalnum() or c in "-_." for c in name):
            raise InvalidArgumentError(f"bad catalog name '{name}'")
        app.mount(f"/catalogs/{name}", create_app(other, subsonic=False))
    if subsonic:
        from musicrec.subsonic.app import create_subsonic_app

        folders = {str(rec.model.manifest.get("dataset") or "catalog"): rec, **(others or {})}
        app.mount("/rest", create_subsonic_app(folders, cache_dir=cache_dir))

    # ------------------------------------------------------------ the page
    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    @app.get("/favicon.svg", include_in_schema=False)
    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(str(STATIC / "favicon.svg"), media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _catalog_entry(rec: Recommender, path: str, root: bool) -> dict:
    """One served catalog, as ``/catalogs`` lists it."""
    model = rec.model
    return {"name": str(model.manifest.get("dataset", "")) or "model", "path": path,
            "kind": model.kind or "model", "tracks": len(rec.catalog),
            "estimated": bool(model.manifest.get("estimated_features"))}


def _track(catalog, row: int, cluster_of: list[int] | None) -> dict:
    return catalog.records([row])[0] | {
        "cluster": None if cluster_of is None else cluster_of[row]}


# ---------------------------------------------------------------- for uvicorn workers
ENV_PREFIX = "MUSICREC_SERVE_"


def app_from_environment() -> FastAPI:
    """An app for one uvicorn worker, configured by MUSICREC_SERVE_* variables that
    ``musicrec serve`` sets (dataset, model kind, model dir, data and cache dirs), with
    the same Spotify lookup as the command line."""
    from musicrec.spotify.settings import SpotifySettings
    from musicrec.workspace.models import open_recommender

    def get(name: str) -> str | None:
        return os.environ.get(ENV_PREFIX + name) or None

    cache = os.environ.get("MUSICREC_SPOTIFY_TOKEN_CACHE")
    rec = open_recommender(
        get("DATASET") or "spotify_songs", model_path=get("MODEL_DIR"),
        data_dir=get("DATA_DIR"), cache_dir=get("CACHE_DIR"), kind=get("KIND") or None,
        spotify=SpotifySettings.from_environment(token_cache=Path(cache) if cache else None),
    )
    others = {name: open_recommender(name, data_dir=get("DATA_DIR"),
                                     cache_dir=get("CACHE_DIR"))
              for name in (get("ALSO") or "").split(",") if name}
    state = get("CACHE_DIR")
    return create_app(rec, others, cache_dir=Path(state) if state else None)
