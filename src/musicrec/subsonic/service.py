"""The Subsonic endpoints: each takes a :class:`Call` (parameters and user) and returns
the payload beside ``status`` (or a response, for files). Similarity, paths and mixes
go through the same Recommender as the CLI and the REST API."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from starlette.responses import Response

from musicrec.errors import MusicrecError
from musicrec.recommend.recommender import Recommender
from musicrec.recommend.request import PATH_STEP_LIMITS, RecommendRequest
from musicrec.subsonic import media
from musicrec.subsonic.responses import (
    GENERIC,
    NOT_AUTHORIZED,
    NOT_FOUND,
    SubsonicError,
    missing,
    not_found,
)
from musicrec.subsonic.shelf import Shelf, content_type
from musicrec.subsonic.store import LISTENS_NAME, Play, SubsonicStore, plays_as_listens

log = logging.getLogger(__name__)
MAX_LIST = 500
RECENT_MIX_ID, RECENT_MIX_SIZE = "plrecent", 50
EXTENSIONS = [{"name": "sonicSimilarity", "versions": [1]},
              {"name": "apiKeyAuthentication", "versions": [1]},
              {"name": "formPost", "versions": [1]}]
IGNORED_ARTICLES = "The El La Los Las Le Les"


@dataclass
class Call:
    """One request's parameters (every value of each name) and its user."""

    params: Mapping[str, list[str]]
    user: str = ""

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[0] if values else default

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def all(self, name: str) -> list[str]:
        return list(self.params.get(name) or [])

    def integer(self, name: str, default: int | None, low: int = 0,
                high: int = 1 << 31) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise SubsonicError(GENERIC, f"{name} must be a whole number (got {value!r})"
                                ) from None
        return min(max(number, low), high)

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        return default if value is None else value.lower() in ("true", "1", "yes")


class SubsonicService:
    """The endpoints over the served catalogs (one music folder each)."""

    def __init__(self, catalogs: Mapping[str, Recommender], store: SubsonicStore,
                 roots: Callable[[str], list[Path]], cache_dir: Path | None = None) -> None:
        self.shelves = [Shelf(i, name, rec, roots(name))
                        for i, (name, rec) in enumerate(catalogs.items(), start=1)]
        self.store = store
        self.cache_dir = cache_dir
        self._export_lock = threading.Lock()

    # ------------------------------------------------------------ lookups
    def _folders(self, call: Call) -> list[Shelf]:
        given = call.get("musicFolderId")
        if given is None or given == "":
            return self.shelves
        for shelf in self.shelves:
            if str(shelf.folder_id) == given:
                return [shelf]
        raise not_found("Music folder")

    def _find(self, item_id: str, prefix: str, lookup, what: str):
        """(shelf, item) of an id of the kind ``prefix`` names, by ``lookup(shelf, id)``."""
        if item_id.startswith(prefix):
            for shelf in self.shelves:
                found = lookup(shelf, item_id)
                if found is not None:
                    return shelf, found
        raise not_found(what)

    def song(self, song_id: str) -> tuple[Shelf, int]:
        return self._find(song_id, "tr", Shelf.row_of, "Song")

    def _album(self, album_id: str):
        return self._find(album_id, "al", lambda shelf, i: shelf.albums.get(i), "Album")

    def _artist(self, artist_id: str):
        return self._find(artist_id, "ar", lambda shelf, i: shelf.artists.get(i), "Artist")

    def _shelf_named(self, name: str) -> Shelf | None:
        return next((s for s in self.shelves if s.name == name), None)

    def _children(self, pairs: Sequence[tuple[str, str]]) -> list[dict]:
        """Entries of (folder, track id) pairs still served (others left out)."""
        out = []
        for folder, track_id in pairs:
            shelf = self._shelf_named(folder)
            row = None if shelf is None else shelf.row_of_track(track_id)
            if row is not None:
                out.append(shelf.child(row))
        return out

    # ------------------------------------------------------------ basics
    def ping(self, call: Call) -> dict:
        return {}

    def getLicense(self, call: Call) -> dict:  # noqa: N802 (the API's names)
        return {"license": {"valid": True}}

    def getOpenSubsonicExtensions(self, call: Call) -> dict:  # noqa: N802
        return {"openSubsonicExtensions": EXTENSIONS}

    def getMusicFolders(self, call: Call) -> dict:  # noqa: N802
        return {"musicFolders": {"musicFolder": [
            {"id": s.folder_id, "name": s.name} for s in self.shelves]}}

    def getUser(self, call: Call) -> dict:  # noqa: N802
        name = call.get("username") or call.user
        if name != call.user:
            raise SubsonicError(NOT_AUTHORIZED, "User is not authorized for the given "
                                "operation")
        roles = {"scrobblingEnabled": True, "adminRole": False, "settingsRole": False,
                 "downloadRole": True, "uploadRole": False, "playlistRole": True,
                 "coverArtRole": True, "commentRole": False, "podcastRole": False,
                 "streamRole": True, "jukeboxRole": False, "shareRole": False,
                 "videoConversionRole": False}
        return {"user": {"username": name, **roles,
                         "folder": [s.folder_id for s in self.shelves]}}

    def getScanStatus(self, call: Call) -> dict:  # noqa: N802
        return {"scanStatus": {"scanning": False,
                               "count": sum(len(s.song_ids) for s in self.shelves)}}

    # ------------------------------------------------------------ browsing
    def getArtists(self, call: Call) -> dict:  # noqa: N802
        index: dict[str, list[dict]] = {}
        entries = [(shelf, a) for shelf in self._folders(call) for a in shelf.artists.values()]
        for shelf, artist in sorted(entries, key=lambda e: _sort_name(e[1].name)):
            letter = _sort_name(artist.name)[:1].upper()
            letter = letter if letter.isalpha() else "#"
            index.setdefault(letter, []).append(shelf.artist_entry(artist))
        return {"artists": {"ignoredArticles": IGNORED_ARTICLES, "index": [
            {"name": k, "artist": v} for k, v in index.items()]}}

    # folder-style browsing, for older clients: artists, then albums, are directories
    def getIndexes(self, call: Call) -> dict:  # noqa: N802
        artists = self.getArtists(call)["artists"]
        return {"indexes": {"ignoredArticles": artists["ignoredArticles"],
                            "lastModified": 0, "index": [
            {"name": i["name"], "artist": [{"id": a["id"], "name": a["name"]}
                                           for a in i["artist"]]}
            for i in artists["index"]]}}

    def _album_directory(self, shelf: Shelf, album) -> dict:
        entry = shelf.album_entry(album)
        return {"id": album.id, "parent": album.artist_id, "isDir": True,
                "title": album.name, "album": album.name, "artist": album.artist,
                "year": entry.get("year"), "genre": entry.get("genre"),
                "coverArt": entry.get("coverArt")}

    def getMusicDirectory(self, call: Call) -> dict:  # noqa: N802
        item = call.required("id")
        if item.startswith("ar"):
            shelf, artist = self._artist(item)
            return {"directory": {"id": artist.id, "name": artist.name, "child": [
                self._album_directory(shelf, shelf.albums[a]) for a in artist.albums]}}
        if item.startswith("al"):
            shelf, album = self._album(item)
            return {"directory": {"id": album.id, "parent": album.artist_id,
                                  "name": album.name,
                                  "child": [shelf.child(r) for r in album.rows]}}
        raise not_found("Directory")

    def getAlbumList(self, call: Call) -> dict:  # noqa: N802
        albums = self.getAlbumList2(call)["albumList2"]["album"]
        directories = []
        for entry in albums:
            shelf, album = self._album(entry["id"])
            directories.append(self._album_directory(shelf, album))
        return {"albumList": {"album": directories}}

    def search2(self, call: Call) -> dict:
        found = self.search3(call)["searchResult3"]
        albums = []
        for entry in found["album"]:
            shelf, album = self._album(entry["id"])
            albums.append(self._album_directory(shelf, album))
        return {"searchResult2": {"artist": [{"id": a["id"], "name": a["name"]}
                                             for a in found["artist"]],
                                  "album": albums, "song": found["song"]}}

    def getArtist(self, call: Call) -> dict:  # noqa: N802
        shelf, artist = self._artist(call.required("id"))
        return {"artist": shelf.artist_entry(artist, with_albums=True)}

    def getAlbum(self, call: Call) -> dict:  # noqa: N802
        shelf, album = self._album(call.required("id"))
        return {"album": shelf.album_entry(album, with_songs=True)}

    def getSong(self, call: Call) -> dict:  # noqa: N802
        shelf, row = self.song(call.required("id"))
        return {"song": shelf.child(row)}

    def getGenres(self, call: Call) -> dict:  # noqa: N802
        songs: dict[str, int] = {}
        albums: dict[str, set] = {}
        for shelf in self.shelves:
            genres = shelf.columns["genres"]
            for row, values in enumerate(genres):
                for genre in list(values) if values is not None and not isinstance(
                        values, float) else []:
                    songs[genre] = songs.get(genre, 0) + 1
                    albums.setdefault(genre, set()).add(shelf.album_of_row(row).id)
        return {"genres": {"genre": [
            {"value": g, "songCount": n, "albumCount": len(albums[g])}
            for g, n in sorted(songs.items())]}}

    def getAlbumList2(self, call: Call) -> dict:  # noqa: N802
        kind = call.required("type")
        size = call.integer("size", 10, 1, MAX_LIST)
        offset = call.integer("offset", 0, 0)
        entries = [(shelf, album) for shelf in self._folders(call)
                   for album in shelf.albums.values()]

        def year(entry) -> int:
            shelf, album = entry
            years = [shelf.columns["year"][r] for r in album.rows]
            found = [int(y) for y in years if y is not None and y == y]
            return min(found) if found else 0

        if kind == "random":
            rng = np.random.default_rng()
            order = rng.permutation(len(entries))
            entries = [entries[i] for i in order]
        elif kind == "newest":
            entries.sort(key=year, reverse=True)
        elif kind == "alphabeticalByName":
            entries.sort(key=lambda e: _sort_name(e[1].name))
        elif kind == "alphabeticalByArtist":
            entries.sort(key=lambda e: (_sort_name(e[1].artist), _sort_name(e[1].name)))
        elif kind == "byYear":
            low = call.integer("fromYear", None, -9999, 9999)
            high = call.integer("toYear", None, -9999, 9999)
            if low is None or high is None:
                raise missing("fromYear" if low is None else "toYear")
            lo, hi = min(low, high), max(low, high)
            entries = [e for e in entries if lo <= year(e) <= hi]
            entries.sort(key=year, reverse=low > high)
        elif kind == "byGenre":
            genre = call.required("genre").casefold()
            entries = [e for e in entries if any(
                (g or "").casefold() == genre for r in e[1].rows
                for g in (list(e[0].columns["genres"][r] or [])))]
        elif kind in ("frequent", "recent", "highest"):
            counts = self.store.play_counts(call.user)
            played = []
            for shelf, album in entries:
                stats = [counts.get((shelf.name, shelf.track_id(r))) for r in album.rows]
                stats = [s for s in stats if s]
                if stats:
                    played.append(((sum(s[0] for s in stats), max(s[1] for s in stats)),
                                   (shelf, album)))
            key = 1 if kind == "recent" else 0
            entries = [e for _, e in sorted(played, key=lambda p: p[0][key], reverse=True)]
        elif kind == "starred":
            stars = self.store.stars(call.user)
            entries = sorted((e for e in entries if e[1].id in stars),
                             key=lambda e: stars[e[1].id], reverse=True)
        else:
            raise SubsonicError(GENERIC, f"unknown album list type '{kind}'")
        return {"albumList2": {"album": [shelf.album_entry(album)
                                         for shelf, album in entries[offset: offset + size]]}}

    def getRandomSongs(self, call: Call) -> dict:  # noqa: N802
        size = call.integer("size", 10, 1, MAX_LIST)
        genre = (call.get("genre") or "").casefold()
        low = call.integer("fromYear", None, -9999, 9999)
        high = call.integer("toYear", None, -9999, 9999)
        rng = np.random.default_rng()
        picked = []
        for shelf in self._folders(call):
            mask = None
            if genre or low is not None or high is not None:
                cols = shelf.columns
                mask = np.array([
                    (not genre or any((g or "").casefold() == genre for g in list(gs or [])))
                    and (low is None or (y is not None and y == y and y >= low))
                    and (high is None or (y is not None and y == y and y <= high))
                    for gs, y in zip(cols["genres"], cols["year"], strict=True)], dtype=bool)
            picked += [(shelf, r) for r in shelf.random_rows(size, rng, mask)]
        order = rng.permutation(len(picked))[:size]
        return {"randomSongs": {"song": [picked[i][0].child(picked[i][1]) for i in order]}}

    def search3(self, call: Call) -> dict:
        query = (call.get("query") or "").strip().strip('"').strip()
        counts = {what: (call.integer(f"{what}Count", 20, 0, MAX_LIST),
                         call.integer(f"{what}Offset", 0, 0)) for what in
                  ("artist", "album", "song")}
        folded = query.casefold()
        shelves = self._folders(call)
        artists = [(s, a) for s in shelves for a in s.artists.values()
                   if folded in a.name.casefold()]
        albums = [(s, a) for s in shelves for a in s.albums.values()
                  if folded in a.name.casefold() or folded in a.artist.casefold()]
        songs = []
        want = sum(counts["song"])
        for shelf in shelves:
            if not folded:
                songs += [(shelf, r) for r in range(min(want, len(shelf.song_ids)))]
                continue
            cols = shelf.columns
            found = [r for r, (title, artist_list) in enumerate(zip(
                cols["name"], cols["artists"], strict=True))
                if folded in str(title or "").casefold() or any(
                    folded in str(a).casefold() for a in list(artist_list or []))]
            if not found and len(folded) >= 3:  # perhaps a typo: the catalog's fuzzy search
                hits = shelf.rec.search(query, min(50, want))
                known = set(found)
                for track_id in hits["track_id"]:
                    row = shelf.row_of_track(track_id)
                    if row is not None and row not in known:
                        found.append(row)
                        known.add(row)
            songs += [(shelf, r) for r in found]

        def page(items, what):
            count, offset = counts[what]
            return items[offset: offset + count]

        return {"searchResult3": {
            "artist": [s.artist_entry(a) for s, a in page(artists, "artist")],
            "album": [s.album_entry(a) for s, a in page(albums, "album")],
            "song": [s.child(r) for s, r in page(songs, "song")]}}

    # ------------------------------------------------------------ similarity
    def _seed_rows(self, item_id: str) -> tuple[Shelf, list[int]]:
        if item_id.startswith("al"):
            shelf, album = self._album(item_id)
            return shelf, album.rows[:20]
        if item_id.startswith("ar"):
            shelf, artist = self._artist(item_id)
            rows = [r for a in artist.albums for r in shelf.albums[a].rows]
            return shelf, rows[:20]
        shelf, row = self.song(item_id)
        return shelf, [row]

    def _similar_songs(self, call: Call) -> list[dict]:
        shelf, rows = self._seed_rows(call.required("id"))
        count = call.integer("count", 50, 1, MAX_LIST)
        result = _recommend(shelf.rec, RecommendRequest(
            [shelf.track_id(r) for r in rows], k=count))
        return [shelf.child(shelf.row_of_track(r.track_id)) for r in result.results]

    def getSimilarSongs(self, call: Call) -> dict:  # noqa: N802
        return {"similarSongs": {"song": self._similar_songs(call)}}

    def getSimilarSongs2(self, call: Call) -> dict:  # noqa: N802
        return {"similarSongs2": {"song": self._similar_songs(call)}}

    def getSonicSimilarTracks(self, call: Call) -> dict:  # noqa: N802
        shelf, row = self.song(call.required("id"))
        count = call.integer("count", 10, 1, MAX_LIST)
        result = _recommend(shelf.rec, RecommendRequest([shelf.track_id(row)], k=count))
        return {"sonicMatch": [
            {"entry": shelf.child(shelf.row_of_track(r.track_id)),
             "similarity": similarity(r.score)} for r in result.results]}

    def findSonicPath(self, call: Call) -> dict:  # noqa: N802
        start_shelf, start = self.song(call.required("startSongId"))
        end_shelf, end = self.song(call.required("endSongId"))
        if start_shelf is not end_shelf:
            raise SubsonicError(GENERIC, "a sonic path runs within one music folder; the "
                                "two songs are in different folders")
        low, high = PATH_STEP_LIMITS
        steps = call.integer("count", 25, low + 1, high + 1) - 1
        rec = start_shelf.rec
        try:
            result = rec.path(start_shelf.track_id(start), start_shelf.track_id(end), steps)
        except MusicrecError as exc:
            raise SubsonicError(GENERIC, str(exc)) from None
        return {"sonicMatch": [
            {"entry": start_shelf.child(start_shelf.row_of_track(r.track_id)),
             "similarity": similarity(r.score)} for r in result.results]}

    # ------------------------------------------------------------ files
    def _file(self, call: Call):
        shelf, row = self.song(call.required("id"))
        path = shelf.file_of(row)
        if path is None:
            raise SubsonicError(NOT_FOUND, "this song has no audio file on this server")
        return shelf, row, path

    def stream(self, call: Call) -> Response:
        shelf, row, path = self._file(call)
        fmt = (call.get("format") or "").lower()
        max_rate = call.integer("maxBitRate", 0, 0, 10_000)
        offset = call.integer("timeOffset", 0, 0)
        child = shelf.child(row)
        suffix = child.get("suffix", "")
        over_rate = bool(max_rate) and (child.get("bitRate") or 0) > max_rate
        if fmt == "raw" or (fmt in ("", suffix) and not over_rate and not offset):
            return media.original(path, content_type(suffix))
        return media.transcoded(path, fmt if fmt in media.TRANSCODES else "mp3",
                                max_rate or None, offset)

    def download(self, call: Call) -> Response:
        shelf, row, path = self._file(call)
        return media.original(path, content_type(shelf.child(row).get("suffix", "")),
                              download=True)

    def getCoverArt(self, call: Call) -> Response:  # noqa: N802
        item = call.required("id")
        size = call.integer("size", None, 1, 4096)
        if item.startswith("al"):
            shelf, album = self._album(item)
            rows = album.rows
        else:
            shelf, row = self.song(item)
            rows = [row]
        for row in rows:
            path = shelf.file_of(row)
            data = None if path is None else media.cover_art(path)
            if data:
                return media.image_response(data, size)
        raise not_found("Cover art")

    # ------------------------------------------------------------ plays
    def scrobble(self, call: Call) -> dict:
        ids = call.all("id")
        if not ids:
            raise missing("id")
        times = call.all("time")
        submission = call.flag("submission", True)
        now = int(time.time())
        plays = []
        for i, song_id in enumerate(ids):
            shelf, row = self.song(song_id)
            when = now
            if i < len(times):
                try:
                    when = int(int(times[i]) / 1000)
                except ValueError:
                    raise SubsonicError(GENERIC, f"time must be milliseconds since 1970 "
                                        f"(got {times[i]!r})") from None
            record = shelf.rec.catalog.records([row])[0]
            plays.append(Play(call.user, shelf.name, shelf.track_id(row), record["name"],
                              (record["artists"] or [None])[0], when, submission))
        self.store.add_plays(plays)
        if submission:
            self.export_listening()
        return {}

    def export_listening(self) -> None:
        """Keep the submitted plays as the listening data ``subsonic``, matched to the
        served catalog most of them are from (a failure is logged, never raised: the
        plays themselves are safe in SQLite)."""
        from musicrec.data.interactions.matching import match_to_catalog
        from musicrec.data.interactions.store import save_listens
        from musicrec.data.registry import default_cache_dir

        with self._export_lock:
            try:
                plays = self.store.plays()
                folders: dict[str, int] = {}
                for p in plays:
                    folders[p.folder] = folders.get(p.folder, 0) + 1
                shelf = self._shelf_named(max(folders, key=folders.get)) if folders else None
                listens = plays_as_listens(plays, self.store.path)
                if shelf is not None:
                    match_to_catalog(listens, shelf.rec.catalog, shelf.rec.model.manifest.get(
                        "dataset") or shelf.name)
                save_listens(self.cache_dir or default_cache_dir(), LISTENS_NAME, listens)
            except Exception:  # noqa: BLE001 (logged; scrobbles stay in SQLite)
                log.exception("could not keep the Subsonic plays as listening data")

    def getNowPlaying(self, call: Call) -> dict:  # noqa: N802
        entries = []
        for play in self.store.now_playing():
            shelf = self._shelf_named(play.folder)
            row = None if shelf is None else shelf.row_of_track(play.track_id)
            if row is not None:
                entries.append(shelf.child(row) | {
                    "username": play.user, "minutesAgo": max(0, int(time.time() - play.time)
                                                             // 60), "playerId": 0})
        return {"nowPlaying": {"entry": entries}}

    # ------------------------------------------------------------ stars
    def _star(self, call: Call, starred: bool) -> dict:
        items = call.all("id") + call.all("albumId") + call.all("artistId")
        if not items:
            raise missing("id")
        for item in items:  # each must be something served
            if item.startswith("al"):
                self._album(item)
            elif item.startswith("ar"):
                self._artist(item)
            else:
                self.song(item)
        self.store.star(call.user, items, starred)
        return {}

    def star(self, call: Call) -> dict:
        return self._star(call, True)

    def unstar(self, call: Call) -> dict:
        return self._star(call, False)

    def _starred(self, call: Call) -> dict:
        out: dict[str, list] = {"artist": [], "album": [], "song": []}
        for item, when in self.store.stars(call.user).items():
            stamp = {"starred": _iso(when)}
            try:
                if item.startswith("al"):
                    shelf, album = self._album(item)
                    out["album"].append(shelf.album_entry(album) | stamp)
                elif item.startswith("ar"):
                    shelf, artist = self._artist(item)
                    out["artist"].append(shelf.artist_entry(artist) | stamp)
                else:
                    shelf, row = self.song(item)
                    out["song"].append(shelf.child(row) | stamp)
            except SubsonicError:  # starred once, no longer served
                continue
        return out

    def getStarred(self, call: Call) -> dict:  # noqa: N802
        return {"starred": self._starred(call)}

    def getStarred2(self, call: Call) -> dict:  # noqa: N802
        return {"starred2": self._starred(call)}

    # ------------------------------------------------------------ playlists
    def _playlist_entry(self, playlist, with_songs: bool = False) -> dict:
        songs = self._children(playlist.songs)
        entry = {"id": f"pl{playlist.id}", "name": playlist.name, "owner": playlist.owner,
                 "public": playlist.public, "songCount": len(songs),
                 "duration": sum(s.get("duration") or 0 for s in songs),
                 "created": _iso(playlist.created), "changed": _iso(playlist.changed),
                 "comment": playlist.comment}
        if with_songs:
            entry["entry"] = songs
        return entry

    def _recent_mix(self, user: str, with_songs: bool) -> dict | None:
        plays = self.store.plays(user, limit=500)
        if not plays:
            return None
        entry = {"id": RECENT_MIX_ID, "name": "Mix from your recent plays", "owner": user,
                 "public": False, "readonly": True, "comment": "musicrec: songs like the "
                 "ones you played last, none you played lately", "created": _iso(
                     plays[-1].time), "changed": _iso(plays[0].time)}
        if not with_songs:
            return entry | {"songCount": RECENT_MIX_SIZE, "duration": 0}
        shelf = self._shelf_named(plays[0].folder)
        if shelf is None:
            return entry | {"songCount": 0, "duration": 0, "entry": []}
        from musicrec.recommend.history import recent_plays_mix

        played = [p.track_id for p in plays if p.folder == shelf.name]
        try:
            result = recent_plays_mix(shelf.rec, played, k=RECENT_MIX_SIZE)
        except MusicrecError:
            return entry | {"songCount": 0, "duration": 0, "entry": []}
        songs = [shelf.child(shelf.row_of_track(r.track_id)) for r in result.results]
        return entry | {"songCount": len(songs),
                        "duration": sum(s.get("duration") or 0 for s in songs), "entry": songs}

    def _owned(self, call: Call, name: str = "id"):
        given = call.required(name)
        if given == RECENT_MIX_ID:
            raise SubsonicError(NOT_AUTHORIZED, "the mix from your recent plays is made by "
                                "musicrec and cannot be changed")
        playlist = self.store.playlist(_playlist_number(given))
        if playlist is None or (playlist.owner != call.user and not playlist.public):
            raise not_found("Playlist")
        if playlist.owner != call.user:
            raise SubsonicError(NOT_AUTHORIZED, "User is not authorized for the given "
                                "operation")
        return playlist

    def _song_pairs(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        pairs = []
        for song_id in ids:
            shelf, row = self.song(song_id)
            pairs.append((shelf.name, shelf.track_id(row)))
        return pairs

    def getPlaylists(self, call: Call) -> dict:  # noqa: N802
        name = call.get("username") or call.user
        if name != call.user:
            raise SubsonicError(NOT_AUTHORIZED, "User is not authorized for the given "
                                "operation")
        entries = [self._playlist_entry(p) for p in self.store.playlists(call.user)]
        mix = self._recent_mix(call.user, with_songs=False)
        return {"playlists": {"playlist": ([mix] if mix else []) + entries}}

    def getPlaylist(self, call: Call) -> dict:  # noqa: N802
        given = call.required("id")
        if given == RECENT_MIX_ID:
            mix = self._recent_mix(call.user, with_songs=True)
            if mix is None:
                raise not_found("Playlist")
            return {"playlist": mix}
        playlist = self.store.playlist(_playlist_number(given))
        if playlist is None or (playlist.owner != call.user and not playlist.public):
            raise not_found("Playlist")
        return {"playlist": self._playlist_entry(playlist, with_songs=True)}

    def createPlaylist(self, call: Call) -> dict:  # noqa: N802
        songs = self._song_pairs(call.all("songId"))
        if call.get("playlistId"):
            playlist = self._owned(call, "playlistId")
            self.store.replace_songs(playlist.id, songs)
            number = playlist.id
        else:
            name = call.required("name")
            number = self.store.create_playlist(call.user, name[:200], songs)
        return {"playlist": self._playlist_entry(self.store.playlist(number), True)}

    def updatePlaylist(self, call: Call) -> dict:  # noqa: N802
        playlist = self._owned(call, "playlistId")
        public = call.get("public")
        self.store.update_playlist(playlist.id, name=call.get("name"),
                                   comment=call.get("comment"),
                                   public=None if public is None else call.flag("public", False))
        remove = set()
        for index in call.all("songIndexToRemove"):
            try:
                remove.add(int(index))
            except ValueError:
                raise SubsonicError(GENERIC, f"songIndexToRemove must be a number (got "
                                    f"{index!r})") from None
        add = self._song_pairs(call.all("songIdToAdd"))
        if remove or add:
            kept = [s for i, s in enumerate(playlist.songs) if i not in remove]
            self.store.replace_songs(playlist.id, kept + add)
        return {}

    def deletePlaylist(self, call: Call) -> dict:  # noqa: N802
        self.store.delete_playlist(self._owned(call).id)
        return {}


#: Endpoints anyone may call without credentials
PUBLIC = frozenset({"getOpenSubsonicExtensions"})
#: Endpoints whose answer is a file, not a subsonic-response
BINARY = frozenset({"stream", "download", "getCoverArt"})
#: Endpoints that read files or the SQLite store and may take a while: run off the loop
BLOCKING = BINARY | {"scrobble", "star", "unstar"}


def endpoints(service: SubsonicService) -> dict[str, Callable[[Call], dict | Response]]:
    """The service's endpoints by their API name."""
    names = [n for n in dir(service) if not n.startswith("_") and n[0].islower()
             and n not in ("song", "store", "shelves", "cache_dir", "export_listening")]
    return {n: getattr(service, n) for n in names if callable(getattr(service, n))}


def similarity(score: float) -> float:
    """A cosine similarity (-1..1) as the 0..1 scale of ``sonicMatch`` (1: the same)."""
    return round(float(min(1.0, max(0.0, (1.0 + score) / 2.0))), 4)


def _recommend(rec: Recommender, request: RecommendRequest):
    try:
        return rec.recommend(request)
    except MusicrecError as exc:
        raise SubsonicError(GENERIC, str(exc)) from None


def _playlist_number(given: str) -> int:
    if given.startswith("pl") and given[2:].isdigit():
        return int(given[2:])
    raise not_found("Playlist")


def _sort_name(name: str) -> str:
    folded = name.casefold()
    for article in IGNORED_ARTICLES.casefold().split():
        if folded.startswith(article + " "):
            return folded[len(article) + 1:]
    return folded


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
