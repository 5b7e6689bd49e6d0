"""A fake Spotify (accounts + Web API) and a fake ReccoBeats, served on 127.0.0.1 in tests.

Behaviour is switched per test through ``FakeState``: audio-features in 200 or 403 mode,
429 (with Retry-After) or 5xx answers a number of times, malformed JSON, slow answers,
and a failing playlist batch.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-secret-5f2e9c"  # must never show up in output or logs
APP_TOKEN = "app-token-81d7"
USER_TOKEN = "user-token-3c4a"

OUTSIDE_ID = "0utsideTheCata1ogTrack"  # shaped like a Spotify id, not in the catalog
FEATURES = {"danceability": 0.825, "energy": 0.652, "key": 1, "loudness": -3.183, "mode": 0,
            "speechiness": 0.0802, "acousticness": 0.581, "instrumentalness": 0.0,
            "liveness": 0.0931, "valence": 0.931, "tempo": 95.977, "duration_ms": 233713}


def track_object(track_id: str, name: str = "Outside Song", artist: str = "Nobody Known"):
    return {"id": track_id, "name": name, "popularity": 77, "explicit": False,
            "duration_ms": 233713, "artists": [{"name": artist}],
            "album": {"name": "Outside Album", "release_date": "2017-03-03"}}


@dataclass
class FakeState:
    tracks: dict = field(default_factory=lambda: {OUTSIDE_ID: track_object(OUTSIDE_ID)})
    features_mode: str = "403"  # "200", "403" or "404"
    recco_known: set = field(default_factory=lambda: {OUTSIDE_ID})
    fail: dict = field(default_factory=dict)  # path prefix -> [status, times left, retry-after]
    malformed: set = field(default_factory=set)  # path prefixes answered with broken JSON
    slow: dict = field(default_factory=dict)  # path prefix -> seconds
    playlists: dict = field(default_factory=dict)
    fail_batch: int | None = None  # from this (1-based) items request on, every one fails
    calls: list = field(default_factory=list)
    verifiers: dict = field(default_factory=dict)


def make_app(state: FakeState) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def faults(request: Request, call_next):
        path = request.url.path
        state.calls.append((request.method, path, dict(request.query_params)))
        for prefix, seconds in state.slow.items():
            if path.startswith(prefix):
                time.sleep(seconds)
        for prefix, rule in state.fail.items():
            if path.startswith(prefix) and rule[1] > 0:
                rule[1] -= 1
                headers = {"Retry-After": str(rule[2])} if rule[2] is not None else {}
                return JSONResponse({"error": {"status": rule[0], "message": "fault"}},
                                    status_code=rule[0], headers=headers)
        for prefix in state.malformed:
            if path.startswith(prefix):
                return PlainTextResponse("{not json", media_type="application/json")
        return await call_next(request)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    # ------------------------------------------------------------ accounts
    @app.get("/accounts/authorize")
    def authorize(redirect_uri: str, state_: str | None = None, code_challenge: str = "",
                  request: Request = None):
        code = "code-" + code_challenge[:8]
        state.verifiers[code] = code_challenge
        extra = request.query_params.get("state")
        target = f"{redirect_uri}?code={code}" + (f"&state={extra}" if extra else "")
        return RedirectResponse(target)

    @app.post("/accounts/api/token")
    async def token(request: Request):
        form = await request.form()
        grant = form.get("grant_type")
        if grant == "client_credentials":
            basic = request.headers.get("authorization", "")
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if basic != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=400)
            return {"access_token": APP_TOKEN, "token_type": "Bearer", "expires_in": 3600}
        if grant in ("refresh_token", "authorization_code"):
            if grant == "authorization_code":
                challenge = state.verifiers.get(form.get("code"))
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if challenge != base64.urlsafe_b64encode(digest).decode().rstrip("="):
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return {"access_token": USER_TOKEN, "token_type": "Bearer", "expires_in": 3600,
                    "refresh_token": "refresh-2", "scope": "playlist-modify-private"}
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    # ------------------------------------------------------------ web API
    def authorised(request: Request, user: bool = False) -> bool:
        wanted = {USER_TOKEN} if user else {APP_TOKEN, USER_TOKEN}
        return request.headers.get("authorization", "").removeprefix("Bearer ") in wanted

    def unauthorised():
        return JSONResponse({"error": {"status": 401, "message": "Invalid access token"}},
                            status_code=401)

    @app.get("/v1/tracks/{track_id}")
    def get_track(track_id: str, request: Request):
        if not authorised(request):
            return unauthorised()
        if track_id not in state.tracks:
            return JSONResponse({"error": {"status": 404, "message": "Not found"}},
                                status_code=404)
        return state.tracks[track_id]

    @app.get("/v1/search")
    def search(q: str, request: Request, type: str = "track", limit: int = 1):  # noqa: A002
        if not authorised(request):
            return unauthorised()
        items = [t for t in state.tracks.values()
                 if t["name"].lower() in q.lower() or q.lower() in t["name"].lower()]
        return {"tracks": {"items": items[:limit]}}

    @app.get("/v1/audio-features")
    def audio_features(ids: str, request: Request):
        if not authorised(request):
            return unauthorised()
        if state.features_mode != "200":
            status = int(state.features_mode)
            return JSONResponse({"error": {"status": status, "message": "Forbidden"}},
                                status_code=status)
        return {"audio_features": [dict(FEATURES, id=i) if i in state.tracks else None
                                   for i in ids.split(",")]}

    @app.get("/v1/me")
    def me(request: Request):
        return {"id": "tester"} if authorised(request, user=True) else unauthorised()

    @app.post("/v1/me/playlists")
    async def create_playlist(request: Request):
        if not authorised(request, user=True):
            return unauthorised()
        body = await request.json()
        playlist_id = f"pl{len(state.playlists) + 1}"
        state.playlists[playlist_id] = {"name": body["name"], "public": body["public"],
                                        "items": [], "batches": 0}
        return JSONResponse({"id": playlist_id, "external_urls": {
            "spotify": f"https://open.spotify.com/playlist/{playlist_id}"}}, status_code=201)

    @app.get("/v1/playlists/{playlist_id}/items")
    def playlist_items(playlist_id: str, request: Request, limit: int = 2, offset: int = 0):
        """Pages of two items, as Spotify pages its lists (100 at a time)."""
        if not authorised(request):
            return unauthorised()
        if playlist_id not in state.playlists:
            return JSONResponse({"error": {"status": 404, "message": "Not found"}},
                                status_code=404)
        uris = state.playlists[playlist_id]["items"]
        page = uris[offset: offset + limit]
        items = [{"track": state.tracks.get(u.split(":")[-1],
                                            track_object(u.split(":")[-1]))} for u in page]
        more = offset + limit < len(uris)
        base = str(request.base_url).rstrip("/")
        return {"items": items, "total": len(uris), "next": (
            f"{base}/v1/playlists/{playlist_id}/items?offset={offset + limit}&limit={limit}"
            if more else None)}

    @app.post("/v1/playlists/{playlist_id}/items")
    async def add_items(playlist_id: str, request: Request):
        if not authorised(request, user=True):
            return unauthorised()
        body = await request.json()
        uris = body["uris"] if isinstance(body, dict) else body
        playlist = state.playlists[playlist_id]
        playlist["batches"] += 1
        if len(uris) > 100:
            return JSONResponse({"error": {"status": 400, "message": "Too many ids"}},
                                status_code=400)
        if state.fail_batch is not None and playlist["batches"] >= state.fail_batch:
            return JSONResponse({"error": {"status": 502, "message": "Bad gateway"}},
                                status_code=502)
        playlist["items"] += uris
        return JSONResponse({"snapshot_id": "s"}, status_code=201)

    # ------------------------------------------------------------ ReccoBeats
    @app.get("/reccobeats/v1/audio-features")
    def recco(ids: str):
        found = [dict(FEATURES, id="rb-" + i, href=f"https://open.spotify.com/track/{i}")
                 for i in ids.split(",") if i in state.recco_known]
        return {"content": found}

    return app
