"""Files for the documents tests, made in memory: real JPEG / PNG / HEIC images, a tiny valid PDF, fakes."""

from __future__ import annotations

import io

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# A minimal one-page PDF (header, catalog, pages, page, xref, trailer).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n165\n%%EOF\n"
)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), color: str = "#3a6ea5") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg(name: str = "photo.jpg", **kwargs: object) -> SimpleUploadedFile:
    return upload(name, image_bytes("JPEG", **kwargs), "image/jpeg")  # type: ignore[arg-type]


def png(name: str = "scan.png") -> SimpleUploadedFile:
    return upload(name, image_bytes("PNG", size=(300, 900)), "image/png")


def pdf(name: str = "contract.pdf") -> SimpleUploadedFile:
    return upload(name, PDF, "application/pdf")


def fake_jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    """A text file wearing a .jpg name and an image content type."""
    return upload(name, b"this is not a picture, just some text\n" * 20, "image/jpeg")


def stored_files(folder: str = "documents") -> set[str]:
    """Every file under `folder` in the default storage (InMemoryStorage in tests)."""
    if not default_storage.exists(folder):
        return set()
    found: set[str] = set()
    dirs, files = default_storage.listdir(folder)
    found.update(f"{folder}/{f}" for f in files)
    for d in dirs:
        found.update(stored_files(f"{folder}/{d}"))
    return found


def document_photo(title: str, size: tuple[int, int] = (1200, 800), color: str = "#e8eef5") -> bytes:
    """A JPEG that looks like a photographed document (a title, a photo box and lines of text) for screenshots."""
    from PIL import ImageDraw, ImageFont

    def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        try:  # Cyrillic needs a real font; Pillow's built-in one only has Latin
            return ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)
        except OSError:
            return ImageFont.load_default(size)

    image = Image.new("RGB", size, "#5b6270")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rounded_rectangle((40, 40, w - 40, h - 40), radius=24, fill=color, outline="#9aa4b2", width=3)
    draw.text((80, 70), title, fill="#1a2233", font=font(40))
    draw.rectangle((80, 150, 330, 470), fill="#b9c2cf", outline="#7a8494", width=2)
    for i, length in enumerate((520, 440, 600, 380, 520, 470, 300)):
        y = 170 + i * 62
        draw.text((380, y - 28), ["Фамилия", "Имя", "Отчество", "Дата рождения", "Место", "Выдано", "Категории"][i],
                  fill="#667085", font=font(22))
        draw.rectangle((380, y, 380 + length, y + 16), fill="#44546a")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
