"""What an uploaded file really is, decided by its content (never by its name or the client's content type),
and the thumbnail made from it. No business words: bytes in, facts out."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

THUMBNAIL_SIZE = 320
# Pillow format name → (content type, file extension)
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "HEIF": ("image/heic", "heic"),
}
# Refuse decompression bombs well before Pillow's own warning threshold turns into an error.
MAX_PIXELS = 80_000_000


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> Sniffed | None:
    """The accepted type this content is, or None. PDFs by their %PDF- header, images by Pillow open + verify."""
    if data.startswith(b"%PDF-"):
        return Sniffed("application/pdf", "pdf")
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            width, height = image.size
            if fmt not in IMAGE_FORMATS or width * height > MAX_PIXELS:
                return None
            image.verify()
        with Image.open(io.BytesIO(data)) as image:  # verify() leaves the image unusable; decode it for real
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    content_type, extension = IMAGE_FORMATS[fmt]
    return Sniffed(content_type, extension, width, height)


def make_thumbnail(data: bytes) -> bytes:
    """A JPEG at most THUMBNAIL_SIZE px on its longer side, turned upright by its EXIF orientation."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image) or image
        rgb = upright.convert("RGB")
        rgb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()
