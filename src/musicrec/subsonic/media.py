"""The bytes of a library's songs: the original file (HTTP ranges), an ffmpeg
transcode when a client asks for another format or a lower bit rate, and cover art
(embedded in the file, else an image beside it), scaled on request."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from starlette.responses import FileResponse, Response, StreamingResponse

from musicrec.subsonic.responses import GENERIC, NOT_FOUND, SubsonicError

#: Formats a client may ask ``stream`` to transcode to: (ffmpeg arguments, media type)
TRANSCODES = {
    "mp3": (["-codec:a", "libmp3lame", "-f", "mp3"], "audio/mpeg"),
    "opus": (["-codec:a", "libopus", "-f", "ogg"], "audio/ogg"),
    "ogg": (["-codec:a", "libvorbis", "-f", "ogg"], "audio/ogg"),
}
DEFAULT_BIT_RATE = 192  # kb/s, when a format is asked for without one
_COVER_NAMES = ("cover", "folder", "front", "album", "albumart")


def original(path: Path, media_type: str, download: bool = False) -> Response:
    """The file's own bytes; ranges are answered (206) so players can seek."""
    return FileResponse(path, media_type=media_type,
                        filename=path.name if download else None,
                        content_disposition_type="attachment" if download else "inline")


def transcoded(path: Path, fmt: str, bit_rate: int | None, offset: int = 0) -> Response:
    """``path`` encoded by ffmpeg as ``fmt`` at ``bit_rate`` kb/s, streamed as made."""
    if fmt not in TRANSCODES:
        raise SubsonicError(GENERIC, f"cannot transcode to '{fmt}'; formats: raw, "
                            + ", ".join(TRANSCODES))
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SubsonicError(GENERIC, "transcoding needs ffmpeg on the server (Debian's "
                            "ffmpeg package); ask for format=raw")
    codec, media_type = TRANSCODES[fmt]
    command = [ffmpeg, "-nostdin", "-loglevel", "error", "-ss", str(max(0, offset)),
               "-i", str(path), "-map", "0:a:0", "-vn",
               *codec, "-b:a", f"{bit_rate or DEFAULT_BIT_RATE}k", "pipe:1"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                chunk = process.stdout.read(64 * 1024)
                if not chunk:
                    break
                yield chunk
        finally:  # a client that stops listening stops the encoder
            process.kill()
            process.wait()

    return StreamingResponse(chunks(), media_type=media_type)


def cover_art(path: Path) -> bytes | None:
    """The image embedded in the audio file, else a cover image in its folder."""
    embedded = _embedded_picture(path)
    if embedded is not None:
        return embedded
    for image in sorted(path.parent.iterdir()):
        if image.suffix.lower() in (".jpg", ".jpeg", ".png") and image.stem.lower() in (
                _COVER_NAMES):
            try:
                return image.read_bytes()
            except OSError:
                continue
    return None


def _embedded_picture(path: Path) -> bytes | None:
    import base64

    import mutagen
    from mutagen.flac import Picture

    try:
        audio = mutagen.File(str(path))
    except Exception:  # a damaged header: no art
        return None
    if audio is None:
        return None
    pictures = getattr(audio, "pictures", None)  # FLAC
    if pictures:
        return pictures[0].data
    tags = audio.tags
    if tags is None:
        return None
    try:
        for key in tags.keys():  # noqa: SIM118 (Vorbis comments iterate as pairs)
            if str(key).startswith("APIC"):  # ID3
                return tags[key].data
        if "covr" in tags:  # MP4
            return bytes(tags["covr"][0])
        blocks = tags.get("metadata_block_picture")  # Vorbis comments (Ogg, Opus)
        if blocks:
            return Picture(base64.b64decode(blocks[0])).data
    except Exception:  # a malformed picture block: no art
        return None
    return None


def image_response(data: bytes, size: int | None) -> Response:
    """The image, scaled to fit ``size`` pixels square when asked (never enlarged)."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise SubsonicError(NOT_FOUND, "Cover art not found (the image cannot be read)") from exc
    kind = (image.format or "PNG").upper()
    if size is not None and max(image.size) > size:
        image.thumbnail((size, size))
        out = io.BytesIO()
        kind = "JPEG" if kind in ("JPEG", "JPG") else "PNG"
        image.convert("RGB" if kind == "JPEG" else "RGBA").save(out, kind)
        data = out.getvalue()
    return Response(data, media_type=f"image/{'jpeg' if kind in ('JPEG', 'JPG') else kind.lower()}")
